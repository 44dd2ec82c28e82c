"""django_bolt.auth.tokens (token pairs, rotation) and jwt_utils, without a server: the
claims minted, the rotation rules and the stores' consume step. Through a real runbolt:
tests/py/e2e/test_tokens.py."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import jwt
import pytest

from django_bolt import BoltConfigError
from django_bolt import jwt_utils as top
from django_bolt.auth import (
    InMemoryRevocation,
    JWTAuthentication,
    TokenRotationError,
    create_token_pair,
    jwt_utils,
    rotate_refresh_token,
    set_token_cookies,
)
from django_bolt.auth.token import create_jwt_for_user
from django_bolt.dependencies import extract_user_id_from_context, get_auth_context, get_current_user
from django_bolt.responses import JSON

SECRET = "unit-tests-secret-" + "x" * 32


def decode(tok: str) -> dict[str, Any]:
    return jwt.decode(tok, SECRET, algorithms=["HS256"])  # type: ignore[no-any-return]


def test_pair_claims() -> None:
    user = SimpleNamespace(pk=5)
    pair = create_token_pair(user, secret=SECRET, claims={"role": "x"}, method="pwd", kid="k1", access_ttl=60)
    a, r = decode(pair.access_token), decode(pair.refresh_token)
    assert jwt.get_unverified_header(pair.access_token)["kid"] == "k1"
    assert a["sub"] == r["sub"] == "5"
    assert (a["typ"], a["token_type"], r["typ"], r["token_type"]) == ("access", "access", "refresh", "refresh")
    assert a["exp"] - a["iat"] == 60 and r["exp"] - r["iat"] == 7 * 86400
    assert a["jti"] and r["jti"] and a["jti"] != r["jti"] and r["fam"] and "fam" not in a
    assert a["amr"] == r["amr"] == ["pwd"] and a["role"] == r["role"] == "x"
    assert a["oat"] == r["oat"] == a["iat"]
    with pytest.raises(ValueError, match="reserved"):
        create_token_pair(5, secret=SECRET, claims={"typ": "access"})


def test_rotation_spends_the_token_and_a_replay_burns_the_family() -> None:
    store = InMemoryRevocation()
    pair = create_token_pair(1, secret=SECRET, claims={"role": "old"})
    new = asyncio.run(rotate_refresh_token(pair.refresh_claims, store=store, secret=SECRET, claims={"role": "new"}))
    assert new.refresh_claims["fam"] == pair.refresh_claims["fam"]
    assert new.access_claims["role"] == "new" and new.refresh_claims["oat"] == pair.refresh_claims["oat"]
    assert pair.refresh_claims["jti"] in store.revoked
    with pytest.raises(TokenRotationError, match="already used"):
        asyncio.run(rotate_refresh_token(pair.refresh_claims, store=store, secret=SECRET))
    with pytest.raises(TokenRotationError, match="family revoked"):
        asyncio.run(rotate_refresh_token(new.refresh_claims, store=store, secret=SECRET))


def test_rotation_refuses_access_tokens_and_malformed_claims() -> None:
    store = InMemoryRevocation()
    pair = create_token_pair(1, secret=SECRET)
    for claims in (
        pair.access_claims,
        {**pair.refresh_claims, "jti": None},
        {**pair.refresh_claims, "fam": ""},
        {**pair.refresh_claims, "sub": ""},
    ):
        with pytest.raises(TokenRotationError):
            asyncio.run(rotate_refresh_token(claims, store=store, secret=SECRET))


def test_access_only_mode_and_session_cap() -> None:
    store = InMemoryRevocation()
    pair = create_token_pair(1, secret=SECRET)
    for _ in range(2):  # rotate=False leaves the refresh token usable
        out = asyncio.run(rotate_refresh_token(pair.refresh_claims, store=store, secret=SECRET, rotate=False))
        assert out.refresh_token == "" and decode(out.access_token)["typ"] == "access"
    old = create_token_pair(1, secret=SECRET, oat=int(time.time()) - 1000)
    with pytest.raises(TokenRotationError, match="max_session_lifetime"):
        asyncio.run(rotate_refresh_token(old.refresh_claims, store=store, secret=SECRET, max_session_lifetime=500))
    capped = asyncio.run(
        rotate_refresh_token(old.refresh_claims, store=store, secret=SECRET, max_session_lifetime=1100)
    )
    assert capped.access_claims["exp"] - capped.access_claims["iat"] <= 100  # clamped to what is left


def test_set_token_cookies() -> None:
    pair = create_token_pair(1, secret=SECRET)
    resp = set_token_cookies(JSON({}), pair, refresh_path="/auth/refresh")
    access, refresh = resp.cookies
    assert access.startswith(f"access_token={pair.access_token};") and "Path=/;" in access
    assert refresh.startswith(f"refresh_token={pair.refresh_token};") and "Path=/auth/refresh" in refresh
    for c in (access, refresh):
        assert "HttpOnly" in c and "Secure" in c and "SameSite=Lax" in c
    assert "Max-Age=900" in access or "Max-Age=899" in access


def test_jwt_authentication_jwks_options() -> None:
    keys = {"keys": [{"kty": "EC", "kid": "a", "crv": "P-256", "x": "AA", "y": "AA"}]}
    b = JWTAuthentication(jwks=keys)
    meta = b.to_metadata()
    assert meta["algorithms"] == ["RS256"] and "jwks" in meta and "secret" not in meta
    assert (
        JWTAuthentication(jwks_url="https://idp.example/jwks", algorithms=["RS256", "ES256"]).to_metadata()["jwks_url"]
        == "https://idp.example/jwks"
    )
    assert JWTAuthentication(secret=SECRET, token_type="refresh").to_metadata()["token_type"] == "refresh"
    oidc = JWTAuthentication(oidc_issuer="https://idp.example").to_metadata()
    assert oidc["oidc_issuer"] == oidc["issuer"] == "https://idp.example" and "jwks_url" not in oidc
    for kwargs, match in (
        ({"jwks": keys, "jwks_url": "https://x"}, "not both"),
        ({"jwks": keys, "public_key": "pem"}, "replaces"),
        ({"jwks": keys, "algorithms": ["HS256"]}, "public keys"),
        ({"jwks": {"nokeys": 1}}, "key set"),
        ({"jwks_url": "ftp://x"}, "https"),
        ({"jwks": keys, "jwks_refresh_interval": 0}, "jwks_refresh_interval"),
        ({"secret": SECRET, "token_type": "id"}, "token_type"),
        ({"oidc_issuer": "https://a.example", "jwks": keys}, "oidc_issuer"),
        ({"oidc_issuer": "https://a.example", "issuer": "https://b.example"}, "differ"),
        ({"secret": SECRET, "algorithms": ["HS256", "RS256"]}, "mix key families"),
    ):
        with pytest.raises(BoltConfigError, match=match):
            JWTAuthentication(**kwargs)


def test_jwt_utils_names() -> None:
    assert jwt_utils.create_jwt_for_user is top.create_jwt_for_user is create_jwt_for_user
    assert jwt_utils.get_current_user is get_current_user
    assert jwt_utils.extract_user_id_from_context is extract_user_id_from_context
    assert jwt_utils.get_auth_context is get_auth_context
    assert set(jwt_utils.__all__) == set(top.__all__)


def test_bumping_the_user_version_logs_out_everywhere() -> None:
    store = InMemoryRevocation()
    pair = create_token_pair(3, secret=SECRET)
    assert asyncio.run(store.bump_user_version("3")) == 1
    with pytest.raises(TokenRotationError, match="token version"):
        asyncio.run(rotate_refresh_token(pair.refresh_claims, store=store, secret=SECRET))
    fresh = create_token_pair(3, secret=SECRET, version=1)  # a login after the bump
    new = asyncio.run(rotate_refresh_token(fresh.refresh_claims, store=store, secret=SECRET))
    assert new.refresh_claims["ver"] == new.access_claims["ver"] == 1
