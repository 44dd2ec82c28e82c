"""Authentication and guards through a real runbolt: JWT and API keys validated in Go,
built-in guards in Go, custom guards and session auth in Python (reliability.md "Auth")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from ..conftest import TEST_PROJECT, BoltProcess

SECRET = "e2e-tests-secret-" + "s" * 32
#: The server's frozen clock (DJANGO_BOLT["TEST_CLOCK"]): tokens are made relative to it.
NOW = int(time.time())


@pytest.fixture(scope="module")
def auth_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    tmp = tmp_path_factory.mktemp("auth")
    p = BoltProcess(TEST_PROJECT, tmp / "runbolt.log", env={"TEST_MARKER_DIR": str(tmp), "TEST_AUTH": str(NOW)})
    p.wait_ready()
    with httpx.Client(base_url=p.url, timeout=10) as c:
        yield c
    p.stop()


def token(secret: str = SECRET, algorithm: str = "HS256", **overrides: Any) -> str:
    claims: dict[str, Any] = {"sub": "42", "exp": NOW + 600, "aud": "bolt-tests", "iss": "tests"}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, secret, algorithm=algorithm)


def bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], payload: dict[str, Any], key: bytes | None) -> str:
    """A token built by hand: PyJWT refuses to make alg=none or HS-signed-with-a-PEM ones."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    sig = b"" if key is None else hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(sig)}"


def assert_401(r: httpx.Response, description: str | None = None) -> None:
    assert r.status_code == 401, r.text
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith(("Bearer", "ApiKey"))
    if description is not None:
        assert 'error="invalid_token"' in challenge
        assert r.json() == {"detail": description}


def test_valid_token_reaches_python_as_context(auth_client: httpx.Client) -> None:
    r = auth_client.get("/auth/me", headers=bearer(token(is_staff=True, permissions=["a.b"])))
    assert r.status_code == 200, r.text
    ctx = r.json()["context"]
    assert ctx["user_id"] == "42"
    assert ctx["auth_backend"] == "jwt"
    assert ctx["is_staff"] is True and ctx["is_superuser"] is False
    assert ctx["permissions"] == ["a.b"]
    assert ctx["auth_claims"]["aud"] == "bolt-tests"
    assert r.json()["auth"] == ctx


def test_missing_credentials_401_with_challenge(auth_client: httpx.Client) -> None:
    r = auth_client.get("/auth/me")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="api"'
    assert r.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize(
    ("tok", "description"),
    [
        (token(exp=NOW - 3600), "Token has expired"),
        (token(exp=None), "Token is missing a required claim (exp)"),
        (token(nbf=NOW + 3600), "Token is not valid yet"),
        (token(aud="someone-else"), "Token audience is not accepted"),
        (token(iss="evil"), "Token issuer is not accepted"),
        (token(secret=SECRET + "-other"), "Token signature or algorithm is not accepted"),
        (token(secret=SECRET * 2, algorithm="HS512"), "Token signature or algorithm is not accepted"),
        (
            handmade({"alg": "none", "typ": "JWT"}, {"sub": "1", "exp": NOW + 60}, None),
            "Token signature or algorithm is not accepted",
        ),
        (
            handmade({"alg": "HS256"}, {"sub": "1", "exp": NOW + 60}, b"guessed-key"),
            "Token signature or algorithm is not accepted",
        ),
        ("garbage", "Malformed token"),
        ("a.b.c", "Malformed token"),
        ("." * 5000, "Malformed token"),
        ("x" * 10_000, "Token too long"),
    ],
    ids=[
        "expired",
        "no-exp",
        "nbf-future",
        "audience",
        "issuer",
        "bad-signature",
        "alg-outside-list",
        "alg-none",
        "forged",
        "garbage",
        "garbage-segments",
        "dots",
        "huge",
    ],  # fmt: skip
)
def test_bad_tokens_are_401(auth_client: httpx.Client, tok: str, description: str) -> None:
    assert_401(auth_client.get("/auth/me", headers=bearer(tok)), description)


def test_wrong_scheme_is_invalid_request(auth_client: httpx.Client) -> None:
    r = auth_client.get("/auth/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401
    assert 'error="invalid_request"' in r.headers["www-authenticate"]


def test_server_keeps_serving_after_attacks(auth_client: httpx.Client) -> None:
    for raw in (b"Bearer " + b"." * 8000, b"Bearer \xc3\xa9\xff", b"Bearer " + b"a" * 9000, b"Bearer \x01"):
        assert auth_client.get("/auth/me", headers={"Authorization": raw}).status_code in (400, 401)
    assert auth_client.get("/auth/me", headers=bearer(token())).status_code == 200


def test_auth_without_guards_never_rejects(auth_client: httpx.Client) -> None:
    assert auth_client.get("/auth/optional").json() == {"context": {}}
    assert auth_client.get("/auth/optional", headers=bearer(token(exp=NOW - 3600))).json() == {"context": {}}
    assert auth_client.get("/auth/optional", headers=bearer(token())).json()["context"]["user_id"] == "42"


def test_api_keys(auth_client: httpx.Client) -> None:
    r = auth_client.get("/auth/me", headers={"X-API-Key": "key-alpha"})
    assert r.status_code == 200
    assert r.json()["context"]["auth_backend"] == "api_key"
    assert r.json()["context"]["user_id"] is None
    # Wrong keys of every shape, including a prefix and an extension of a real one.
    for wrong in ("key-alph", "key-alphaa", "KEY-ALPHA", "x", "k" * 500):
        r = auth_client.get("/auth/me", headers={"X-API-Key": wrong})
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith('ApiKey header="x-api-key"')


def test_guards_403(auth_client: httpx.Client) -> None:
    assert auth_client.get("/auth/admin", headers=bearer(token())).status_code == 403
    assert auth_client.get("/auth/admin", headers=bearer(token(is_superuser=True))).status_code == 200
    assert auth_client.get("/auth/admin").status_code == 401
    r = auth_client.get("/auth/staff", headers=bearer(token()))
    assert r.status_code == 403
    assert r.json() == {"detail": "You do not have permission to perform this action."}
    assert auth_client.get("/auth/staff", headers=bearer(token(is_staff=True))).status_code == 200


def test_permission_guards(auth_client: httpx.Client) -> None:
    assert auth_client.get("/auth/perm", headers=bearer(token(permissions=["other"]))).status_code == 403
    assert auth_client.get("/auth/perm", headers=bearer(token(permissions=["items.read"]))).status_code == 200
    assert auth_client.get("/auth/perm", headers={"X-API-Key": "key-alpha"}).status_code == 403
    assert auth_client.get("/auth/perm", headers={"X-API-Key": "key-beta"}).status_code == 200


def test_custom_python_guard(auth_client: httpx.Client) -> None:
    assert auth_client.get("/auth/custom", headers=bearer(token(sub="4"))).json() == {"even": True}
    assert auth_client.get("/auth/custom", headers=bearer(token(sub="3"))).status_code == 403
    r = auth_client.get("/auth/custom")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_session_auth_is_a_python_hook(auth_client: httpx.Client) -> None:
    # SessionAuthentication.authenticate is the hook the Django integration completes;
    # until then nobody authenticates through it, and the guard answers 401.
    assert auth_client.get("/auth/session", headers={"Cookie": "sessionid=abc"}).status_code == 401


def test_token_from_cookie(auth_client: httpx.Client) -> None:
    r = auth_client.get("/auth/cookie", headers={"Cookie": f"access={token(aud=None, iss=None)}"})
    assert r.json() == {"user_id": "42"}
    assert auth_client.get("/auth/cookie", headers=bearer(token(aud=None, iss=None))).status_code == 401


def test_in_memory_revocation_reaches_go(auth_client: httpx.Client) -> None:
    tok = token(aud=None, iss=None, jti="to-revoke")
    assert auth_client.get("/auth/revocable", headers=bearer(tok)).status_code == 200
    assert auth_client.post("/auth/revoke/to-revoke").status_code == 200
    assert_401(auth_client.get("/auth/revocable", headers=bearer(tok)), "Token has been revoked")
    assert_401(auth_client.get("/auth/revocable", headers=bearer(token(aud=None, iss=None))), "Token has no jti claim")


def test_create_jwt_for_user_round_trip(auth_client: httpx.Client) -> None:
    tok = auth_client.post("/auth/token/7").json()["access_token"]
    assert auth_client.get("/auth/me", headers=bearer(tok)).json()["context"]["user_id"] == "7"


def test_weak_secret_fails_start_up(tmp_path: Path) -> None:
    env = {"TEST_AUTH": str(NOW), "TEST_WEAK_SECRET": "1", "TEST_MARKER_DIR": str(tmp_path)}
    import os

    proc = subprocess.run(
        [sys.executable, "manage.py", "runbolt", "--port", "0"],
        cwd=TEST_PROJECT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "at least 32" in proc.stderr
