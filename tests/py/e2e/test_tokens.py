"""JWKS key sets and access/refresh token pairs through a real runbolt (issue 18, part A).

The key set is served by a throwaway HTTP server on loopback that the test controls (keys
generated here, rotated mid-test, fetches counted); Go fetches it at start-up and again
for a kid it does not know. Token pairs are minted by the server (create_token_pair) and
rotated at its refresh endpoint (add_refresh_route)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from ..conftest import TEST_PROJECT, BoltProcess

#: The test project's settings.SECRET_KEY (the default secret of tokens and backends).
SECRET_KEY = "tests-only-" + "k" * 40


class KeySetServer:
    """Serves a JWKS document that tests replace; counts the fetches."""

    def __init__(self) -> None:
        self.doc: dict[str, Any] = {"keys": []}
        self.fetches = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with outer.lock:
                    if self.path.endswith("/.well-known/openid-configuration"):  # OIDC discovery
                        body = json.dumps({"issuer": outer.issuer, "jwks_uri": outer.url}).encode()
                    else:
                        outer.fetches += 1
                        body = json.dumps(outer.doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"
        self.issuer = f"http://127.0.0.1:{self.httpd.server_address[1]}/idp"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def set_keys(self, *keys: dict[str, Any]) -> None:
        with self.lock:
            self.doc = {"keys": list(keys)}


def rsa_key(kid: str) -> tuple[Any, dict[str, Any]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    return private, {**public, "kid": kid, "use": "sig", "alg": "RS256"}


def ec_key(kid: str) -> tuple[Any, dict[str, Any]]:
    private = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    return private, {**public, "kid": kid, "use": "sig"}


def token(private: Any, alg: str, kid: str | None, **claims: Any) -> str:
    body = {"sub": "42", "exp": int(time.time()) + 600, **claims}
    return jwt.encode(body, private, algorithm=alg, headers={"kid": kid} if kid else None)


def bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


KEYS: dict[str, tuple[Any, dict[str, Any]]] = {}


@pytest.fixture(scope="module")
def keyset() -> Iterator[KeySetServer]:
    KEYS.update(r1=rsa_key("r1"), r2=rsa_key("r2"), e1=ec_key("e1"), f1=ec_key("f1"))
    s = KeySetServer()
    s.set_keys(KEYS["r1"][1], KEYS["e1"][1])
    yield s
    s.httpd.shutdown()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, keyset: KeySetServer) -> Iterator[BoltProcess]:
    tmp = tmp_path_factory.mktemp("tokens")
    env = {
        "TEST_MARKER_DIR": str(tmp),
        "TEST_TOKENS": "1",
        "TEST_JWKS_URL": keyset.url,
        "TEST_OIDC_ISSUER": keyset.issuer,
        "TEST_JWKS_DOC": json.dumps({"keys": [KEYS["f1"][1]]}),
    }
    p = BoltProcess(TEST_PROJECT, tmp / "runbolt.log", env=env)
    p.wait_ready()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def client(server: BoltProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


def test_jwks_url_keys_are_selected_by_kid(client: httpx.Client, keyset: KeySetServer) -> None:
    assert keyset.fetches >= 1  # at start-up
    for name, alg in (("r1", "RS256"), ("e1", "ES256")):
        r = client.get("/jwks/me", headers=bearer(token(KEYS[name][0], alg, name, sub=f"user-{name}")))
        assert r.status_code == 200, r.text
        assert r.json() == {"user_id": f"user-{name}"}
    # a key of the set under another key's kid, and a key the set does not have
    r = client.get("/jwks/me", headers=bearer(token(KEYS["r2"][0], "RS256", "r1")))
    assert r.status_code == 401 and r.json()["detail"] == "Token signature or algorithm is not accepted"
    # no kid while the set has two keys
    r = client.get("/jwks/me", headers=bearer(token(KEYS["r1"][0], "RS256", None)))
    assert r.status_code == 401 and r.json()["detail"] == "Token has no kid and the key set has several keys"
    # an HS256 token (algorithm confusion): HS* is not among the allowed algorithms
    r = client.get("/jwks/me", headers=bearer(jwt.encode({"sub": "1", "exp": 2**31}, SECRET_KEY, algorithm="HS256")))
    assert r.status_code == 401


def test_a_rotated_key_is_fetched_once_and_made_up_kids_are_rate_limited(
    client: httpx.Client, keyset: KeySetServer
) -> None:
    before = keyset.fetches
    r2 = token(KEYS["r2"][0], "RS256", "r2", sub="rotated")
    keyset.set_keys(KEYS["r1"][1], KEYS["r2"][1], KEYS["e1"][1])  # the provider rotates
    r = client.get("/jwks/me", headers=bearer(r2))
    assert r.status_code == 200, r.text
    assert r.json() == {"user_id": "rotated"}
    assert keyset.fetches == before + 1
    for i in range(5):  # within the refresh interval (60 s): refused without asking again
        r = client.get("/jwks/me", headers=bearer(token(KEYS["r2"][0], "RS256", f"made-up-{i}")))
        assert r.status_code == 401 and r.json()["detail"] == "Token kid names no key of the key set"
    assert keyset.fetches == before + 1


def test_oidc_issuer_discovers_the_key_set_and_requires_its_iss(client: httpx.Client, keyset: KeySetServer) -> None:
    r = client.get("/oidc/me", headers=bearer(token(KEYS["r1"][0], "RS256", "r1", sub="o", iss=keyset.issuer)))
    assert r.status_code == 200 and r.json() == {"user_id": "o"}
    r = client.get("/oidc/me", headers=bearer(token(KEYS["r1"][0], "RS256", "r1", iss="https://evil.example")))
    assert r.status_code == 401 and r.json() == {"detail": "Token issuer is not accepted"}


def test_fixed_jwks_dict(client: httpx.Client) -> None:
    r = client.get("/jwks-fixed/me", headers=bearer(token(KEYS["f1"][0], "ES256", "f1", sub="fixed")))
    assert r.status_code == 200 and r.json() == {"user_id": "fixed"}
    r = client.get("/jwks-fixed/me", headers=bearer(token(KEYS["e1"][0], "ES256", "e1")))
    assert r.status_code == 401


def _login(client: httpx.Client, user: str) -> dict[str, str]:
    r = client.post(f"/tokens/login/{user}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_access_token_works_and_refresh_token_is_refused_as_access(client: httpx.Client) -> None:
    pair = _login(client, "7")
    r = client.get("/tokens/me", headers=bearer(pair["access_token"]))
    assert r.status_code == 200 and r.json() == {"user_id": "7", "typ": "access", "amr": ["pwd"]}
    r = client.get("/tokens/me", headers=bearer(pair["refresh_token"]))
    assert r.status_code == 401 and r.json() == {"detail": "Token is not an access token"}
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
    # an ID token (typ "ID", Keycloak's spelling) is refused too
    id_token = jwt.encode({"sub": "7", "exp": int(time.time()) + 60, "typ": "ID"}, SECRET_KEY, algorithm="HS256")
    assert client.get("/tokens/me", headers=bearer(id_token)).json() == {"detail": "Token is not an access token"}


def test_refresh_endpoint_rotates_and_refuses_access_tokens(client: httpx.Client) -> None:
    pair = _login(client, "8")
    r = client.post("/tokens/refresh", headers=bearer(pair["access_token"]))
    assert r.status_code == 401 and r.json() == {"detail": "Token is not a refresh token"}
    r = client.post("/tokens/refresh", headers=bearer(pair["refresh_token"]))
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["token_type"] == "bearer" and new["expires_in"] == 900
    assert new["refresh_token"] != pair["refresh_token"]
    me = client.get("/tokens/me", headers=bearer(new["access_token"]))
    assert me.status_code == 200 and me.json()["user_id"] == "8" and me.json()["amr"] == ["pwd"]
    old = jwt.decode(pair["refresh_token"], SECRET_KEY, algorithms=["HS256"])
    rotated = jwt.decode(new["refresh_token"], SECRET_KEY, algorithms=["HS256"])
    assert rotated["fam"] == old["fam"] and rotated["oat"] == old["oat"] and rotated["jti"] != old["jti"]
    assert "role" not in rotated  # claims are not carried over


@pytest.mark.parametrize("endpoint", ["/tokens/refresh", "/tokens/refresh-cache"])
def test_a_replayed_refresh_token_is_refused_and_burns_its_family(client: httpx.Client, endpoint: str) -> None:
    pair = _login(client, "9")
    first = client.post(endpoint, headers=bearer(pair["refresh_token"]))
    assert first.status_code == 200
    refused = {"detail": "Refresh token is invalid, revoked or already used"}
    # the spent token's jti is revoked in the store: presenting it again is a replay...
    again = client.post(endpoint, headers=bearer(pair["refresh_token"]))
    assert again.status_code == 401 and again.json() == refused
    # ...which revokes its family: the token the first rotation issued is refused too
    descendant = client.post(endpoint, headers=bearer(first.json()["refresh_token"]))
    assert descendant.status_code == 401 and descendant.json() == refused
    # another login's family is not affected
    other = _login(client, "9")
    assert client.post(endpoint, headers=bearer(other["refresh_token"])).status_code == 200


def test_logout_everywhere_refuses_older_refresh_tokens(client: httpx.Client) -> None:
    pair = _login(client, "10")
    assert client.post("/tokens/logout-everywhere/10").json() == {"version": 1}
    r = client.post("/tokens/refresh-cache", headers=bearer(pair["refresh_token"]))
    assert r.status_code == 401 and r.json() == {"detail": "Refresh token is invalid, revoked or already used"}


def test_jwt_auth_views_cookie_flow(server: BoltProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as c:
        assert c.post("/cookie-auth/login", json={"username": "u5", "password": "bad"}).status_code == 401
        r = c.post("/cookie-auth/login", json={"username": "u5", "password": "pw"})
        assert r.status_code == 200 and r.json() == {"ok": True}
        assert set(c.cookies) == {"access_token", "refresh_token"}
        assert c.get("/cookie-auth/me").json() == {"user_id": "5"}
        first_refresh = c.cookies["refresh_token"]
        r = c.post("/cookie-auth/refresh")  # the refresh cookie is sent to /cookie-auth only
        assert r.status_code == 200 and c.cookies["refresh_token"] != first_refresh
        # the spent refresh token, replayed, is refused and burns the family
        replay = httpx.post(f"{server.url}/cookie-auth/refresh", cookies={"refresh_token": first_refresh})
        assert replay.status_code == 401 and replay.json() == {"detail": "Invalid token"}
        assert c.post("/cookie-auth/refresh").status_code == 401
        # a new login, then logout: the cookies are cleared and the refresh token is dead
        c.post("/cookie-auth/login", json={"username": "u5", "password": "pw"})
        kept = c.cookies["refresh_token"]
        r = c.post("/cookie-auth/logout")
        assert r.status_code == 200 and "refresh_token" not in c.cookies
        dead = httpx.post(f"{server.url}/cookie-auth/refresh", cookies={"refresh_token": kept})
        assert dead.status_code == 401
        # logout-all: every refresh token of the user stops rotating
        c.post("/cookie-auth/login", json={"username": "u6", "password": "pw"})
        other = c.cookies["refresh_token"]
        c.post("/cookie-auth/login", json={"username": "u6", "password": "pw"})
        assert c.post("/cookie-auth/logout-all").status_code == 200
        assert httpx.post(f"{server.url}/cookie-auth/refresh", cookies={"refresh_token": other}).status_code == 401


def test_bad_jwks_url_fails_start_up(tmp_path: Path, keyset: KeySetServer) -> None:
    env = {
        "TEST_MARKER_DIR": str(tmp_path),
        "TEST_TOKENS": "1",
        "TEST_JWKS_DOC": json.dumps({"keys": [KEYS["f1"][1]]}),
        "TEST_OIDC_ISSUER": keyset.issuer,
    }
    for url, why in (
        ("http://idp.example/.well-known/jwks.json", "must use https"),
        ("http://127.0.0.1:1/.well-known/jwks.json", "jwks_url http://127.0.0.1:1/"),  # nothing listens
    ):
        p = BoltProcess(TEST_PROJECT, tmp_path / f"bad-{len(why)}.log", env={**env, "TEST_JWKS_URL": url})
        code = p.proc.wait(timeout=120)
        assert code != 0
        assert why in p.log(), p.log()
