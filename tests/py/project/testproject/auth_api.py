"""Routes for tests/py/e2e/test_auth.py and test_ratelimit.py (loaded when TEST_AUTH is set)."""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

from django_bolt import BoltAPI, Request
from django_bolt.auth import (
    APIKeyAuthentication,
    HasPermission,
    InMemoryRevocation,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    JWTAuthentication,
    SessionAuthentication,
    create_jwt_for_user,
)
from django_bolt.middleware import rate_limit

SECRET = "e2e-tests-secret-" + "s" * 32
api = BoltAPI()

jwt_auth = JWTAuthentication(secret=SECRET, audience="bolt-tests", issuer="tests")
keys = APIKeyAuthentication(api_keys={"key-alpha", "key-beta"}, key_permissions={"key-beta": {"items.read"}})
revocations = InMemoryRevocation()
revocable = JWTAuthentication(secret=SECRET, revocation_store=revocations)
if os.environ.get("TEST_WEAK_SECRET"):
    JWTAuthentication(secret="too-short")


async def even_user(request: Request) -> bool:
    """A custom guard, run in Python: only users with an even id."""
    return int(request.context.get("user_id") or 1) % 2 == 0


@api.get("/auth/me", auth=[jwt_auth, keys], guards=[IsAuthenticated()])
async def me(request: Request) -> dict[str, Any]:
    return {"context": request.context, "auth": request["auth"]}


@api.get("/auth/optional", auth=[jwt_auth])
async def optional(request: Request) -> dict[str, Any]:
    return {"context": request.context}


@api.get("/auth/admin", auth=[jwt_auth], guards=[IsAdminUser()])
async def admin() -> dict[str, bool]:
    return {"admin": True}


@api.get("/auth/staff", auth=[jwt_auth], guards=[IsStaff()])
async def staff() -> dict[str, bool]:
    return {"staff": True}


@api.get("/auth/perm", auth=[jwt_auth, keys], guards=[HasPermission("items.read")])
async def perm() -> dict[str, bool]:
    return {"read": True}


@api.get("/auth/custom", auth=[jwt_auth], guards=[IsAuthenticated(), even_user])
async def custom() -> dict[str, bool]:
    return {"even": True}


@api.get("/auth/session", auth=[SessionAuthentication()], guards=[IsAuthenticated()])
async def session() -> dict[str, bool]:
    return {"session": True}


@api.get("/auth/cookie", auth=[JWTAuthentication(secret=SECRET, cookie="access")], guards=[IsAuthenticated()])
async def cookie(request: Request) -> dict[str, Any]:
    return {"user_id": request.context["user_id"]}


@api.get("/auth/revocable", auth=[revocable], guards=[IsAuthenticated()])
async def revocable_route() -> dict[str, bool]:
    return {"ok": True}


@api.post("/auth/revoke/{jti}")
async def revoke(jti: str) -> dict[str, str]:
    await revocations.revoke(jti)
    return {"revoked": jti}


@api.post("/auth/token/{user_id}")
async def token(user_id: int) -> dict[str, str]:
    user = SimpleNamespace(pk=user_id, is_staff=False, is_superuser=False, email="", get_username=lambda: "u")
    claims = {"aud": "bolt-tests", "iss": "tests"}
    return {"access_token": create_jwt_for_user(user, secret=SECRET, extra_claims=claims)}


@api.get("/limited")
@rate_limit(rps=1, burst=2)
async def limited() -> dict[str, bool]:
    return {"ok": True}


@rate_limit(rps=1, burst=1, key="x-client")
@api.get("/limited/header")
async def limited_header() -> dict[str, bool]:
    return {"ok": True}


@api.get("/limited/user", auth=[jwt_auth])
@rate_limit(rps=1, burst=1, key="user")
async def limited_user() -> dict[str, bool]:
    return {"ok": True}
