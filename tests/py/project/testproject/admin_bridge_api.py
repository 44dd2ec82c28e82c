"""A route of tests/py/e2e/test_admin_bridge.py (TEST_ADMIN_BRIDGE): django-bolt's
``django_bolt.admin`` names, used from a handler."""

from __future__ import annotations

from typing import Any

from django_bolt import BoltAPI
from django_bolt.admin import ASGIFallbackHandler, get_admin_info, get_admin_route_patterns
from django_bolt.auth import InMemoryRevocation, IsAuthenticated, JWTAuthentication, JWTAuthViews

api = BoltAPI()
bridge = ASGIFallbackHandler()


@api.get("/bridge/admin-info")
async def admin_info() -> dict[str, Any]:
    return {"info": get_admin_info(), "patterns": [p for p, _ in get_admin_route_patterns()]}


@api.get("/bridge/login-page")
async def login_page() -> dict[str, Any]:
    status, headers, body = await bridge.handle_request(
        {"method": "GET", "path": "/admin/login/", "query_string": "next=/admin/", "headers": {"host": "testserver"}}
    )
    return {"status": status, "headers": dict(headers), "body": body.decode()}


# django_bolt.auth.views.JWTAuthViews with its default check, Django's aauthenticate, against
# the test database's superuser (tests/py/e2e/test_admin_bridge.py).
JWTAuthViews(store=InMemoryRevocation(), prefix="/db-auth", secure_cookies=False).register(api)


@api.get("/db-auth/me", auth=[JWTAuthentication(cookie="access_token")], guards=[IsAuthenticated()])
async def db_me(request: Any) -> dict[str, Any]:
    user = await request.auser()
    return {"username": user.get_username()}
