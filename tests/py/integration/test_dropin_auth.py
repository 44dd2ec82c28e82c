"""django-bolt's auth names (issue 18): Token's signature, revoked_token_handler, the backend
registry and revocation helpers, checked through the in-process server."""

from __future__ import annotations

import asyncio
import datetime
import time

import jwt
import pytest

from django_bolt import BoltAPI, Request
from django_bolt.auth import (
    InMemoryRevocation,
    IsAuthenticated,
    JWTAuthentication,
    Token,
    create_revocation_handler,
    get_registered_backend,
    register_auth_backend,
)
from django_bolt.testing import TestClient

SECRET = "dropin-auth-tests-" + "z" * 32


def test_token_accepts_django_bolts_signature() -> None:
    exp = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)
    tok = Token(exp=exp, sub=42, is_admin=True)  # type: ignore[arg-type]
    assert tok.sub == "42" and isinstance(tok.exp, int)
    claims = jwt.decode(tok.encode(SECRET), SECRET, algorithms=["HS256"])
    assert claims["is_admin"] is True and claims["exp"] == int(exp.timestamp())
    created = Token.create("7", expires_delta=datetime.timedelta(seconds=90), issuer="me", audience="you", role="x")
    assert (created.iss, created.aud, created.extras) == ("me", "you", {"role": "x"})
    assert created.exp - created.iat == 90
    back = Token.decode(created.encode(SECRET), SECRET, algorithm="HS256", audience="you", issuer="me")
    assert back.extras["role"] == "x"
    assert Token.create("1").to_dict()["sub"] == "1"
    positional = Token(exp, "42")  # type: ignore[arg-type]  # django-bolt's order: (exp, sub)
    assert (positional.sub, positional.exp) == ("42", int(exp.timestamp()))
    old = Token(sub="1", exp=int(time.time()) - 10).encode(SECRET)
    with pytest.raises(jwt.ExpiredSignatureError):
        Token.decode(old, SECRET)
    assert Token.decode(old, SECRET, verify_exp=False).sub == "1"


def test_revoked_token_handler() -> None:
    revoked = {"bad-jti"}

    async def is_revoked(jti: str) -> bool:
        return jti in revoked

    api = BoltAPI()
    auth = JWTAuthentication(secret=SECRET, revoked_token_handler=is_revoked)

    @api.get("/me", auth=[auth], guards=[IsAuthenticated()])
    async def me(request: Request) -> dict[str, str]:
        return {"user_id": request.context["user_id"]}

    def bearer(jti: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {Token(sub='5', exp=int(time.time()) + 60, jti=jti).encode(SECRET)}"}

    with TestClient(api) as client:
        assert client.get("/me", headers=bearer("good-jti")).json() == {"user_id": "5"}
        assert client.get("/me", headers=bearer("bad-jti")).status_code == 401


def test_create_revocation_handler_and_registry() -> None:
    store = InMemoryRevocation({"x"})
    handler = create_revocation_handler(store)
    assert asyncio.run(handler("x")) is True
    assert asyncio.run(handler("y")) is False
    auth = JWTAuthentication(secret=SECRET)
    register_auth_backend("jwt-main", auth)
    assert get_registered_backend("jwt-main") is auth
    assert get_registered_backend("nope") is None


def test_cookie_token_csrf_origin_check() -> None:
    api = BoltAPI()
    token = Token(sub="9", exp=int(time.time()) + 60).encode(SECRET)

    @api.post("/cookie", auth=[JWTAuthentication(secret=SECRET, cookie="access")], guards=[IsAuthenticated()])
    async def with_cookie(request: Request) -> dict[str, str]:
        return {"user_id": request.context["user_id"]}

    lax = JWTAuthentication(secret=SECRET, cookie="access", cookie_csrf=False)

    @api.post("/cookie-lax", auth=[lax], guards=[IsAuthenticated()])
    async def lax_cookie(request: Request) -> dict[str, str]:
        return {"user_id": request.context["user_id"]}

    with TestClient(api, cookies={"access": token}) as client:
        same = client.post("/cookie", headers={"Origin": "http://testserver"})
        assert same.json() == {"user_id": "9"}
        assert client.post("/cookie", headers={"Origin": "https://evil.example"}).status_code == 401
        assert client.post("/cookie-lax", headers={"Origin": "https://evil.example"}).status_code == 200
