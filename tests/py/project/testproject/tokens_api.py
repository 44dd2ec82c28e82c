"""Routes of tests/py/e2e/test_tokens.py (TEST_TOKENS): JWKS key sets (a URL served by the
test on loopback, and a fixed set) and access/refresh token pairs with rotation."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace
from typing import Any

from django_bolt import BoltAPI
from django_bolt.auth import (
    DjangoCacheRevocation,
    InMemoryRevocation,
    IsAuthenticated,
    JWTAuthentication,
    JWTAuthViews,
    LoginCredentials,
    add_refresh_route,
    create_token_pair,
)

api = BoltAPI()

#: Keys from the test's JWKS server; a new kid is looked up again (first time at once).
jwks_url = JWTAuthentication(jwks_url=os.environ["TEST_JWKS_URL"], algorithms=["RS256", "ES256"])
#: A fixed key set given as a dict.
jwks_fixed = JWTAuthentication(jwks=json.loads(os.environ["TEST_JWKS_DOC"]), algorithms=["ES256"])


#: The key set found through the issuer's OpenID configuration; iss must be the issuer.
oidc = JWTAuthentication(oidc_issuer=os.environ["TEST_OIDC_ISSUER"])


@api.get("/oidc/me", auth=[oidc], guards=[IsAuthenticated()])
async def oidc_me(request: Any) -> dict[str, Any]:
    return {"user_id": request.context["user_id"]}


@api.get("/jwks/me", auth=[jwks_url], guards=[IsAuthenticated()])
async def jwks_me(request: Any) -> dict[str, Any]:
    return {"user_id": request.context["user_id"]}


@api.get("/jwks-fixed/me", auth=[jwks_fixed], guards=[IsAuthenticated()])
async def jwks_fixed_me(request: Any) -> dict[str, Any]:
    return {"user_id": request.context["user_id"]}


#: Spent refresh tokens and burnt families (checked in Go by the refresh backend too).
refresh_store = InMemoryRevocation()


@api.post("/tokens/login/{user_id}")
async def login(user_id: str) -> dict[str, Any]:
    pair = create_token_pair(user_id, claims={"role": "reader"}, method="pwd")
    return {"access_token": pair.access_token, "refresh_token": pair.refresh_token}


@api.get("/tokens/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def tokens_me(request: Any) -> dict[str, Any]:
    claims = request.context["auth_claims"]
    return {"user_id": request.context["user_id"], "typ": claims["typ"], "amr": claims.get("amr")}


add_refresh_route(api, "/tokens/refresh", store=refresh_store)
#: The same endpoint over Django's cache (locmem here): consume is cache.add.
cache_store = DjangoCacheRevocation(prefix="bolt:refresh:")
add_refresh_route(api, "/tokens/refresh-cache", store=cache_store)


@api.post("/tokens/logout-everywhere/{user_id}")
async def logout_everywhere(user_id: str) -> dict[str, int]:
    return {"version": await cache_store.bump_user_version(user_id)}


#: django-bolt's ready-made cookie endpoints under /cookie-auth (http in tests: not Secure).
views_store = InMemoryRevocation()


async def check_password(request: Any, credentials: LoginCredentials) -> Any:
    """No database here: user "u<N>" with password "pw" (test_admin_bridge.py covers
    the default, Django's aauthenticate)."""
    ok = credentials.username.startswith("u") and credentials.password == "pw"
    return SimpleNamespace(pk=credentials.username[1:], is_active=True) if ok else None


JWTAuthViews(
    store=views_store, prefix="/cookie-auth", secure_cookies=False, credential_validator=check_password
).register(api)


@api.get("/cookie-auth/me", auth=[JWTAuthentication(cookie="access_token")], guards=[IsAuthenticated()])
async def cookie_me(request: Any) -> dict[str, Any]:
    return {"user_id": request.context["user_id"]}
