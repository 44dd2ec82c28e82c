"""Rate limits keyed by a header or by the authenticated user, and the bounded key store,
through the in-process TestClient with a frozen clock (TEST_CLOCK): buckets never refill
during a test. Keys by peer address (and forwarded addresses from trusted proxies) need a real
socket: tests/py/e2e/test_ratelimit.py."""

from __future__ import annotations

import time
from typing import Any

import jwt

from django_bolt import BoltAPI, rate_limit
from django_bolt.auth import JWTAuthentication
from django_bolt.testing import TestClient

SECRET = "integration-tests-secret-" + "s" * 32
NOW = int(time.time())


def make_api() -> BoltAPI:
    api = BoltAPI()
    jwt_auth = JWTAuthentication(secret=SECRET, audience="bolt-tests", issuer="tests")

    @rate_limit(rps=1, burst=1, key="x-client")
    @api.get("/limited/header")
    async def limited_header() -> dict[str, bool]:
        return {"ok": True}

    @api.get("/limited/user", auth=[jwt_auth])
    @rate_limit(rps=1, burst=1, key="user")
    async def limited_user() -> dict[str, bool]:
        return {"ok": True}

    return api


def client_for(**settings: Any) -> TestClient:
    return TestClient(make_api(), settings={"TEST_CLOCK": float(NOW), **settings})


def statuses(c: TestClient, path: str, n: int, **kw: Any) -> list[int]:
    return [c.get(path, **kw).status_code for _ in range(n)]


def test_header_and_user_keys() -> None:
    with client_for() as c:
        assert statuses(c, "/limited/header", 2, headers={"X-Client": "a"}) == [200, 429]
        assert statuses(c, "/limited/header", 1, headers={"X-Client": "b"}) == [200]

        def bearer(sub: str) -> dict[str, str]:
            tok = jwt.encode({"sub": sub, "exp": NOW + 600, "aud": "bolt-tests", "iss": "tests"}, SECRET)
            return {"Authorization": f"Bearer {tok}"}

        assert statuses(c, "/limited/user", 2, headers=bearer("1")) == [200, 429]
        assert statuses(c, "/limited/user", 1, headers=bearer("2")) == [200]


def test_key_store_is_bounded() -> None:
    with client_for(RATE_LIMIT_MAX_KEYS=16) as c:
        assert statuses(c, "/limited/header", 2, headers={"X-Client": "first"}) == [200, 429]
        for i in range(300):  # far more keys than the store holds
            c.get("/limited/header", headers={"X-Client": f"k{i}"})
        # "first" was evicted: it starts again with a full bucket.
        assert statuses(c, "/limited/header", 1, headers={"X-Client": "first"}) == [200]
