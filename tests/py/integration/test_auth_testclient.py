"""Auth and rate limits through the in-process TestClient (the same Go code as runbolt)."""

from __future__ import annotations

import asyncio
import time

from django_bolt import BoltAPI, Request, rate_limit
from django_bolt.auth import InMemoryRevocation, IsAuthenticated, JWTAuthentication, RevocationStore, Token
from django_bolt.testing import TestClient

SECRET = "integration-secret-" + "y" * 32


def test_jwt_guard_rate_limit_and_revocation_through_go() -> None:
    api = BoltAPI()
    store = InMemoryRevocation()
    auth = JWTAuthentication(secret=SECRET, revocation_store=store)

    @api.get("/me", auth=[auth], guards=[IsAuthenticated()])
    @rate_limit(rps=1, burst=3, key="user")
    async def me(request: Request) -> dict[str, object]:
        return {"user": request.context["user_id"]}

    tok = Token.create(9, expires_in=600).encode(SECRET)
    with TestClient(api, settings={"TEST_CLOCK": time.time()}) as client:
        assert client.get("/me").status_code == 401
        r = client.get("/me", headers={"Authorization": f"Bearer {tok}"})
        assert r.json() == {"user": "9"}
        assert client.get("/me", headers={"Authorization": f"Bearer {tok}"}).status_code == 200
        store.revoke_now(Token.decode(tok, SECRET).jti or "")
        r = client.get("/me", headers={"Authorization": f"Bearer {tok}"})
        assert r.status_code == 401
        assert "revoked" in r.json()["detail"]


class PythonSideStore(RevocationStore):
    """A store checked in Python, the way DjangoCacheRevocation is (without needing a cache)."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.checks = 0

    async def revoke(self, jti: str, expires_in: float | None = None) -> None:
        self.ids.add(jti)

    async def is_revoked(self, jti: str) -> bool:
        self.checks += 1
        return jti in self.ids


def test_python_side_revocation_store_is_checked_before_the_handler() -> None:
    api = BoltAPI()
    store = PythonSideStore()

    @api.get("/me", auth=[JWTAuthentication(secret=SECRET, revocation_store=store)], guards=[IsAuthenticated()])
    async def me() -> dict[str, bool]:
        return {"ok": True}

    @api.get("/open")
    async def open_route() -> dict[str, bool]:
        return {"ok": True}

    tok = Token.create(1, expires_in=600)
    headers = {"Authorization": f"Bearer {tok.encode(SECRET)}"}
    with TestClient(api, settings={"TEST_CLOCK": time.time()}) as client:
        assert client.get("/me", headers=headers).status_code == 200
        asyncio.run(store.revoke(tok.jti or ""))
        r = client.get("/me", headers=headers)
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert client.get("/open").status_code == 200
    assert store.checks == 2  # only the route whose backend uses the store
