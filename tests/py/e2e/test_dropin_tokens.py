"""The drop-in project's use of django-bolt 0.10+'s token pairs and its jwt_utils and admin
modules (tests/py/dropin/dropinproject/api.py), through a real runbolt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..conftest import BoltProcess

DROPIN = Path(__file__).resolve().parents[1] / "dropin"


@pytest.fixture(scope="module")
def dropin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    server = BoltProcess(DROPIN, tmp_path_factory.mktemp("dropin-tokens") / "runbolt.log", "--processes", "1")
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=10) as client:
            yield client
    finally:
        server.stop()


def _bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


def test_token_pair_rotation_as_django_bolt_documents_it(dropin: httpx.Client) -> None:
    tokens = dropin.post("/dropin-auth/login").json()
    assert dropin.get("/dropin-auth/me", headers=_bearer(tokens["access"])).json() == {"user_id": "21"}
    assert dropin.get("/dropin-auth/me", headers=_bearer(tokens["legacy"])).json() == {"user_id": "21"}
    assert dropin.get("/dropin-auth/me", headers=_bearer(tokens["refresh"])).status_code == 401
    assert dropin.post("/dropin-auth/refresh", headers=_bearer(tokens["access"])).status_code == 401
    new = dropin.post("/dropin-auth/refresh", headers=_bearer(tokens["refresh"]))
    assert new.status_code == 200
    assert dropin.get("/dropin-auth/me", headers=_bearer(new.json()["access"])).status_code == 200
    again = dropin.post("/dropin-auth/refresh", headers=_bearer(tokens["refresh"]))
    assert again.status_code == 401 and again.json() == {"detail": "Invalid token"}


def test_admin_module_names(dropin: httpx.Client) -> None:
    r = dropin.get("/dropin-admin")
    assert r.status_code == 200
    assert r.json() == {"admin": None, "static": "static"}  # the project has no admin
