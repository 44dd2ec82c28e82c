"""Authentication through a real runbolt, for what needs the process: session auth (Django's
settings) and a weak JWT secret failing start-up. JWT, API keys and guards are tested in-process
in tests/py/integration/test_auth.py (reliability.md "Auth")."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from ..conftest import TEST_PROJECT, BoltProcess

#: The test project's settings.SECRET_KEY (JWTAuthentication's default secret).
SECRET_KEY = "tests-only-" + "k" * 40
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


def test_session_auth_is_a_python_hook(auth_client: httpx.Client) -> None:
    # SessionAuthentication.authenticate is the hook the Django integration completes;
    # until then nobody authenticates through it, and the guard answers 401.
    assert auth_client.get("/auth/session", headers={"Cookie": "sessionid=abc"}).status_code == 401


def test_django_cache_revocation(auth_client: httpx.Client) -> None:
    def bearer(**claims: object) -> dict[str, str]:
        tok = jwt.encode({"sub": "7", "exp": NOW + 600, **claims}, SECRET_KEY, algorithm="HS256")
        return {"Authorization": f"Bearer {tok}"}

    assert auth_client.get("/auth/cache-revocable", headers=bearer(jti="cache-1")).json() == {"ok": True}
    assert auth_client.get("/auth/cache-revocable", headers=bearer()).status_code == 401  # a store needs a jti
    assert auth_client.post("/auth/cache-revoke/cache-1").status_code == 200
    assert auth_client.get("/auth/cache-revocable", headers=bearer(jti="cache-1")).status_code == 401
    assert auth_client.get("/auth/cache-revocable", headers=bearer(jti="cache-2")).status_code == 200


def test_weak_secret_fails_start_up(tmp_path: Path) -> None:
    env = {"TEST_AUTH": str(NOW), "TEST_WEAK_SECRET": "1", "TEST_MARKER_DIR": str(tmp_path)}
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
