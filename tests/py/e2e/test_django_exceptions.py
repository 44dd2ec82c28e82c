"""Django's own exceptions answered with their HTTP meaning through a real runbolt, and the
``django_bolt.shortcuts`` helpers (routes in tests/py/project/shopapp/api.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.py.conftest import TEST_PROJECT, BoltProcess, run_manage


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Path]]:
    tmp = tmp_path_factory.mktemp("django-errors")
    env = {"TEST_MARKER_DIR": str(tmp), "TEST_DB": str(tmp / "shop.sqlite3")}
    done = run_manage("migrate", "--noinput", env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    bolt = BoltProcess(TEST_PROJECT, tmp / "runbolt.log", env=env)
    bolt.wait_ready()
    with httpx.Client(base_url=bolt.url, timeout=30) as client:
        yield client, tmp / "runbolt.log"
    bolt.stop()


def test_does_not_exist_without_try_is_404(server: tuple[httpx.Client, Path]) -> None:
    client, _ = server
    r = client.get("/shop/django-errors/missing/999")
    assert (r.status_code, r.json()) == (404, {"detail": "Not found."})


def test_http404_is_404_without_its_message(server: tuple[httpx.Client, Path]) -> None:
    client, _ = server
    r = client.get("/shop/django-errors/http404")
    assert (r.status_code, r.json()) == (404, {"detail": "Not found."})


def test_shortcuts_return_the_object_or_404(server: tuple[httpx.Client, Path]) -> None:
    client, _ = server
    created = client.post("/shop/products", json={"name": "shortcut-pen", "price": 7})
    assert created.status_code == 201
    pid = created.json()["id"]
    assert client.get(f"/shop/django-errors/shortcut/{pid}").json() == {"id": pid, "name": "shortcut-pen"}
    r = client.get(f"/shop/django-errors/shortcut/{pid + 1000}")
    assert (r.status_code, r.json()) == (404, {"detail": "Not found."})
    assert client.get("/shop/django-errors/list", params={"min_price": 7}).json() == ["shortcut-pen"]
    r = client.get("/shop/django-errors/list", params={"min_price": 10**6})
    assert (r.status_code, r.json()) == (404, {"detail": "Not found."})


def test_permission_denied_is_403(server: tuple[httpx.Client, Path]) -> None:
    client, _ = server
    r = client.get("/shop/django-errors/forbidden")
    assert (r.status_code, r.json()) == (403, {"detail": "You do not have permission to perform this action."})
    r = client.get("/shop/django-errors/forbidden", params={"reason": "staff only"})
    assert (r.status_code, r.json()) == (403, {"detail": "staff only"})


def test_validation_error_is_422_with_its_messages(server: tuple[httpx.Client, Path]) -> None:
    client, _ = server
    r = client.post("/shop/django-errors/validate", json={"name": "x" * 101, "price": 1})
    assert r.status_code == 422
    (entry,) = r.json()["detail"]
    assert entry["loc"] == ["name"]
    assert entry["type"] == "max_length"
    assert "at most 100 characters" in entry["msg"]
    r = client.get("/shop/django-errors/invalid")
    assert r.status_code == 422
    assert [(e["loc"], e["msg"]) for e in r.json()["detail"]] == [([], "first problem"), ([], "second problem")]


def test_suspicious_operation_is_400_and_logged_not_echoed(server: tuple[httpx.Client, Path]) -> None:
    client, log = server
    r = client.get("/shop/django-errors/suspicious")
    assert (r.status_code, r.json()) == (400, {"detail": "Bad Request"})
    assert "attacker-controlled detail" not in r.text
    assert "SuspiciousOperation" in log.read_text()
