"""Auth and rate limits through the in-process TestClient (the same Go code as runbolt)."""

from __future__ import annotations

import time

from django_bolt import BoltAPI, Request, rate_limit
from django_bolt.auth import InMemoryRevocation, IsAuthenticated, JWTAuthentication, Token
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
