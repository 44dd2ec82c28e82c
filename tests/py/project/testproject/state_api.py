"""Routes for tests/py/e2e/test_shared_state.py (loaded when TEST_STATE names a Redis URL):
a rate limit and a revocation store that must hold across workers and instances."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

from django.conf import settings

from django_bolt import BoltAPI, Request
from django_bolt.auth import IsAuthenticated, JWTAuthentication, SharedRevocation, Token
from django_bolt.middleware import rate_limit
from django_bolt.responses import EventSourceResponse

api = BoltAPI()

SECRET = "shared-state-test-secret-0123456789abcdef"
revoked = SharedRevocation(default_ttl=600)
jwt = JWTAuthentication(secret=SECRET, revocation_store=revoked)


@api.get("/shared/limited")
@rate_limit(rps=0.01, burst=10, key="x-client")
async def shared_limited() -> dict[str, int]:
    """A bucket that does not refill during a test (one token per 100 s); tests pick their
    own X-Client value so that runs sharing one Redis stay apart."""
    return {"pid": os.getpid()}


@api.get("/shared/limited-ip")
@rate_limit(rps=0.01, burst=3)
async def shared_limited_ip() -> dict[str, int]:
    """Keyed by the client's address (forwarded by a trusted proxy)."""
    return {"pid": os.getpid()}


@api.get("/shared/sse/{name}")
async def sse(name: str) -> EventSourceResponse:
    """Events ``1``, ``2``, ``3``, each after the one before and a signal: event n+1 is sent
    once the test has created the marker file ``name.n`` in TEST_MARKER_DIR (each wait
    bounded by 20 s). The test creates ``name.n`` only once event n reached it: a proxy
    that held events back would stall the exchange. Event 1 may leave with the response
    head (and a proxy may pass that part on whatever it buffers), so the test judges the
    proxy on event 2, sent alone."""

    async def events() -> AsyncIterator[str]:
        for n in (1, 2, 3):
            yield str(n)
            if n == 3:
                break
            marker = Path(settings.MARKER_DIR, f"{name}.{n}")
            for _ in range(400):
                if marker.exists():
                    break
                await asyncio.sleep(0.05)

    return EventSourceResponse(events())


@api.get("/shared/pid")
async def pid() -> dict[str, int]:
    return {"pid": os.getpid()}


@api.post("/shared/token/{jti}")
async def token(jti: str) -> dict[str, str]:
    t = Token(sub="user-1", exp=int(time.time()) + 600, jti=jti)
    return {"token": t.encode(SECRET)}


@api.get("/shared/me", auth=[jwt], guards=[IsAuthenticated()])
async def me(request: Request) -> dict[str, int]:
    return {"pid": os.getpid()}


@api.post("/shared/logout/{jti}", auth=[jwt], guards=[IsAuthenticated()])
async def logout(jti: str) -> dict[str, bool]:
    await revoked.revoke(jti)
    return {"revoked": True}
