"""The typed surface through a real runbolt process, for what needs the Django project: a
Django HttpResponse returned by a handler, and readiness checks that use the database. The rest
of the typed request/response surface is tested in-process in tests/py/integration/test_typed.py."""

from __future__ import annotations

from pathlib import Path

import httpx


def test_django_http_response_is_sent(client: httpx.Client) -> None:
    r = client.get("/typed/responses/django")
    assert (r.status_code, r.headers["x-django"], r.text) == (206, "1", "from django")


def test_ready_runs_the_registered_checks(bolt: object, client: httpx.Client) -> None:
    r = client.get("/ready")
    assert r.status_code == 200
    assert r.json() == {
        "status": "ready",
        "checks": {"always_ready": "ok", "flag_file": "ok", "database_check": "ok"},
    }
    marker = Path(bolt.log_path).parent / "not-ready"  # type: ignore[attr-defined]
    marker.write_text("")
    try:
        r = client.get("/ready")
        assert r.status_code == 503
        assert r.json()["status"] == "not ready"
        assert r.json()["checks"]["flag_file"] == "returned False"
        assert r.json()["checks"]["always_ready"] == "ok"
    finally:
        marker.unlink()
    assert client.get("/ready").status_code == 200
