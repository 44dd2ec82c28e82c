"""A route of tests/py/e2e/test_admin_bridge.py (TEST_ADMIN_BRIDGE): django-bolt's
``django_bolt.admin`` names, used from a handler."""

from __future__ import annotations

from typing import Any

from django_bolt import BoltAPI
from django_bolt.admin import ASGIFallbackHandler, get_admin_info, get_admin_route_patterns

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
