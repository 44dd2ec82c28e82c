"""Routes for tests/py/e2e/test_auth.py and test_ratelimit.py (loaded when TEST_AUTH is set):
what needs a real runbolt. JWT, API keys, guards and the other rate-limit keys are tested
in-process (tests/py/integration/test_auth.py, test_ratelimit.py)."""

from __future__ import annotations

import os

from django_bolt import BoltAPI
from django_bolt.auth import DjangoCacheRevocation, IsAuthenticated, JWTAuthentication, SessionAuthentication
from django_bolt.middleware import rate_limit

api = BoltAPI()

if os.environ.get("TEST_WEAK_SECRET"):
    JWTAuthentication(secret="too-short")


@api.get("/auth/session", auth=[SessionAuthentication()], guards=[IsAuthenticated()])
async def session() -> dict[str, bool]:
    return {"session": True}


@api.get("/limited")
@rate_limit(rps=1, burst=2)
async def limited() -> dict[str, bool]:
    return {"ok": True}


#: docs/auth.md, Revocation: ids kept in Django's cache (the default locmem cache here),
#: checked in Python before the handler.
cache_revocations = DjangoCacheRevocation()
cache_jwt = JWTAuthentication(revocation_store=cache_revocations)  # settings.SECRET_KEY


@api.get("/auth/cache-revocable", auth=[cache_jwt], guards=[IsAuthenticated()])
async def cache_revocable() -> dict[str, bool]:
    return {"ok": True}


@api.post("/auth/cache-revoke/{jti}")
async def cache_revoke(jti: str) -> dict[str, str]:
    await cache_revocations.revoke(jti)
    return {"revoked": jti}
