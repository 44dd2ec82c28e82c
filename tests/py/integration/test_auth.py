"""Authentication and guards through the in-process TestClient: JWT and API keys validated in
Go, built-in guards in Go, custom guards and session auth in Python (reliability.md "Auth").
The app is defined here; tests/py/e2e/test_auth.py keeps session auth (it needs Django's
settings) and the start-up failure of runbolt."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import jwt
import pytest

from django_bolt import APIView, BoltAPI, Request
from django_bolt.auth import (
    APIKeyAuthentication,
    BasePermission,
    HasPermission,
    InMemoryRevocation,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    JWTAuthentication,
    Requires,
    create_jwt_for_user,
)
from django_bolt.auth._route import reads_user as reads_user_of
from django_bolt.testing import TestClient

SECRET = "integration-tests-secret-" + "s" * 32
#: The server's frozen clock (the TEST_CLOCK setting): tokens are made relative to it.
NOW = int(time.time())

api = BoltAPI()
jwt_auth = JWTAuthentication(secret=SECRET, audience="bolt-tests", issuer="tests")
keys = APIKeyAuthentication(api_keys={"key-alpha", "key-beta"}, key_permissions={"key-beta": {"items.read"}})
revocations = InMemoryRevocation()
revocable = JWTAuthentication(secret=SECRET, revocation_store=revocations)


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


class OddUser(BasePermission):
    """A guard class with a sync ``has_permission`` (docs/auth.md, "Your own guards")."""

    def has_permission(self, request: Request) -> bool:
        return int(request.context.get("user_id") or 0) % 2 == 1


class AcmeTenant(BasePermission):
    """The same with an async ``has_permission``."""

    async def has_permission(self, request: Request) -> bool:
        return bool(request.context.get("auth_claims", {}).get("tenant") == "acme")


@api.get("/auth/class-guards", auth=[jwt_auth], guards=[OddUser(), AcmeTenant()])
async def class_guards() -> dict[str, bool]:
    return {"ok": True}


@api.get("/auth/requires", auth=[jwt_auth], guards=[Requires("role", "admin", "ops")])
async def requires_role() -> dict[str, bool]:
    return {"ok": True}


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
async def issue_token(user_id: int) -> dict[str, str]:
    user = SimpleNamespace(pk=user_id, is_staff=False, is_superuser=False, email="", get_username=lambda: "u")
    claims = {"aud": "bolt-tests", "iss": "tests"}
    return {"access_token": create_jwt_for_user(user, secret=SECRET, extra_claims=claims)}


class CountingJWT(JWTAuthentication):
    """get_user without a database, counting its calls."""

    calls = 0

    async def get_user(self, user_id: Any, auth_context: Any = None) -> Any:
        CountingJWT.calls += 1
        return None if user_id == "404" else SimpleNamespace(pk=user_id, name=f"user-{user_id}")


counting = CountingJWT(secret=SECRET, audience="bolt-tests", issuer="tests")


@api.get("/auth/user", auth=[counting])
async def reads_user(request: Request) -> dict[str, Any]:
    user = request.user  # a plain value in async code: loaded before the handler
    return {"name": None if user is None else user.name}


@api.get("/auth/user-untouched", auth=[counting], guards=[IsAuthenticated()])
async def context_only(request: Request) -> dict[str, Any]:
    return {"user_id": request.context["user_id"]}


@api.view("/auth/view-user", auth=[counting])
class ViewUser(APIView):
    async def get(self) -> dict[str, Any]:
        return {"name": self.who()}

    def who(self) -> str | None:  # read in a helper method of the view: still seen
        user = self.request.user
        return None if user is None else str(user.name)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(api, settings={"TEST_CLOCK": float(NOW)}) as c:
        yield c


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


def test_valid_token_reaches_python_as_context(client: TestClient) -> None:
    r = client.get("/auth/me", headers=bearer(token(is_staff=True, permissions=["a.b"])))
    assert r.status_code == 200, r.text
    ctx = r.json()["context"]
    assert ctx["user_id"] == "42"
    assert ctx["auth_backend"] == "jwt"
    assert ctx["is_staff"] is True and ctx["is_superuser"] is False
    assert ctx["permissions"] == ["a.b"]
    assert ctx["auth_claims"]["aud"] == "bolt-tests"
    assert r.json()["auth"] == ctx


def test_missing_credentials_401_with_challenge(client: TestClient) -> None:
    r = client.get("/auth/me")
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
def test_bad_tokens_are_401(client: TestClient, tok: str, description: str) -> None:
    assert_401(client.get("/auth/me", headers=bearer(tok)), description)


def test_wrong_scheme_is_invalid_request(client: TestClient) -> None:
    r = client.get("/auth/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401
    assert 'error="invalid_request"' in r.headers["www-authenticate"]


def test_server_keeps_serving_after_attacks(client: TestClient) -> None:
    for raw in (b"Bearer " + b"." * 8000, b"Bearer \xc3\xa9\xff", b"Bearer " + b"a" * 9000, b"Bearer \x01"):
        assert client.get("/auth/me", headers={"Authorization": raw}).status_code in (400, 401)
    assert client.get("/auth/me", headers=bearer(token())).status_code == 200


def test_auth_without_guards_never_rejects(client: TestClient) -> None:
    assert client.get("/auth/optional").json() == {"context": {}}
    assert client.get("/auth/optional", headers=bearer(token(exp=NOW - 3600))).json() == {"context": {}}
    assert client.get("/auth/optional", headers=bearer(token())).json()["context"]["user_id"] == "42"


def test_api_keys(client: TestClient) -> None:
    r = client.get("/auth/me", headers={"X-API-Key": "key-alpha"})
    assert r.status_code == 200
    assert r.json()["context"]["auth_backend"] == "api_key"
    assert r.json()["context"]["user_id"] is None
    # Wrong keys of every shape, including a prefix and an extension of a real one.
    for wrong in ("key-alph", "key-alphaa", "KEY-ALPHA", "x", "k" * 500):
        r = client.get("/auth/me", headers={"X-API-Key": wrong})
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith('ApiKey header="x-api-key"')


def test_guards_403(client: TestClient) -> None:
    assert client.get("/auth/admin", headers=bearer(token())).status_code == 403
    assert client.get("/auth/admin", headers=bearer(token(is_superuser=True))).status_code == 200
    assert client.get("/auth/admin").status_code == 401
    r = client.get("/auth/staff", headers=bearer(token()))
    assert r.status_code == 403
    assert r.json() == {"detail": "You do not have permission to perform this action."}
    assert client.get("/auth/staff", headers=bearer(token(is_staff=True))).status_code == 200


def test_permission_guards(client: TestClient) -> None:
    assert client.get("/auth/perm", headers=bearer(token(permissions=["other"]))).status_code == 403
    assert client.get("/auth/perm", headers=bearer(token(permissions=["items.read"]))).status_code == 200
    assert client.get("/auth/perm", headers={"X-API-Key": "key-alpha"}).status_code == 403
    assert client.get("/auth/perm", headers={"X-API-Key": "key-beta"}).status_code == 200


def test_custom_python_guard(client: TestClient) -> None:
    assert client.get("/auth/custom", headers=bearer(token(sub="4"))).json() == {"even": True}
    assert client.get("/auth/custom", headers=bearer(token(sub="3"))).status_code == 403
    r = client.get("/auth/custom")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_permission_subclasses_sync_and_async(client: TestClient) -> None:
    assert client.get("/auth/class-guards", headers=bearer(token(sub="3", tenant="acme"))).json() == {"ok": True}
    assert client.get("/auth/class-guards", headers=bearer(token(sub="4", tenant="acme"))).status_code == 403
    r = client.get("/auth/class-guards", headers=bearer(token(sub="3", tenant="other")))
    assert r.status_code == 403 and "detail" in r.json()


def test_requires_claim_guard(client: TestClient) -> None:
    for role in ("ops", ["viewer", "admin"]):
        assert client.get("/auth/requires", headers=bearer(token(role=role))).status_code == 200, role
    for role in ("viewer", ["viewer"], None):
        assert client.get("/auth/requires", headers=bearer(token(role=role))).status_code == 403, role
    assert client.get("/auth/requires").status_code == 401


def test_token_from_cookie(client: TestClient) -> None:
    r = client.get("/auth/cookie", headers={"Cookie": f"access={token(aud=None, iss=None)}"})
    assert r.json() == {"user_id": "42"}
    assert client.get("/auth/cookie", headers=bearer(token(aud=None, iss=None))).status_code == 401


def test_in_memory_revocation_reaches_go(client: TestClient) -> None:
    tok = token(aud=None, iss=None, jti="to-revoke")
    assert client.get("/auth/revocable", headers=bearer(tok)).status_code == 200
    assert client.post("/auth/revoke/to-revoke").status_code == 200
    assert_401(client.get("/auth/revocable", headers=bearer(tok)), "Token has been revoked")
    assert_401(client.get("/auth/revocable", headers=bearer(token(aud=None, iss=None))), "Token has no jti claim")


def test_create_jwt_for_user_round_trip(client: TestClient) -> None:
    tok = client.post("/auth/token/7").json()["access_token"]
    assert client.get("/auth/me", headers=bearer(tok)).json()["context"]["user_id"] == "7"


def test_request_user_preloaded_only_where_the_handler_reads_it(client: TestClient) -> None:
    """django-bolt's request.user on auth routes: loaded through the backend's get_user before
    a handler that reads it (None without a user); routes that never read it pay no load."""
    before = CountingJWT.calls
    assert client.get("/auth/user", headers=bearer(token())).json() == {"name": "user-42"}
    assert client.get("/auth/user", headers=bearer(token(sub="404"))).json() == {"name": None}
    assert CountingJWT.calls == before + 2
    assert client.get("/auth/user").json() == {"name": None}  # anonymous: no load at all
    assert client.get("/auth/user-untouched", headers=bearer(token())).json() == {"user_id": "42"}
    assert CountingJWT.calls == before + 2
    assert client.get("/auth/view-user", headers=bearer(token())).json() == {"name": "user-42"}
    assert client.get("/auth/view-user").json() == {"name": None}


def test_reads_user_is_decided_from_the_code() -> None:
    async def direct(request: Request) -> Any:
        return request.user

    async def nested(request: Request) -> Any:
        return [request.user for _ in range(1)]

    async def context(request: Request) -> Any:
        user = request.context.get("user_id")  # a local named user is not request.user
        return user

    assert reads_user_of(direct) and reads_user_of(nested) and not reads_user_of(context)
