"""Routes for tests/py/e2e/test_auth.py and test_ratelimit.py (loaded when TEST_AUTH is set):
what needs a real runbolt. JWT, API keys, guards and the other rate-limit keys are tested
in-process (tests/py/integration/test_auth.py, test_ratelimit.py)."""

from __future__ import annotations

import os

from django_bolt import BoltAPI
from django_bolt.auth import IsAuthenticated, JWTAuthentication, SessionAuthentication
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
