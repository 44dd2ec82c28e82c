"""BoltAPI(django_middleware=True): settings.MIDDLEWARE around API handlers; signals."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from django_bolt import BoltAPI
from django_bolt._django.middleware import resolve_spec
from django_bolt.exceptions import BoltConfigError

from ..conftest import BoltProcess


def test_middleware_runs_around_the_handler(client: httpx.Client) -> None:
    r = client.get("/mw/hello")
    assert r.status_code == 200 and r.json() == {"stamped": ""}
    assert r.headers["x-stamp"] == "sync-middleware"  # the sync-only test middleware, adapted
    assert r.headers["x-content-type-options"] == "nosniff"  # SecurityMiddleware
    assert r.headers["referrer-policy"] == "same-origin"


def test_routes_of_other_apis_skip_the_middleware(client: httpx.Client) -> None:
    r = client.get("/hello")
    assert "x-stamp" not in r.headers and "x-content-type-options" not in r.headers


def test_csrf_middleware_applies_and_csrf_exempt_is_respected(client: httpx.Client) -> None:
    r = client.post("/mw/form")
    assert r.status_code == 403 and r.headers["x-stamp"] == "sync-middleware"
    assert client.post("/mw/exempt").json() == {"ok": "exempt"}


def test_errors_inside_the_middleware_stay_json(client: httpx.Client) -> None:
    r = client.get("/mw/missing/7")
    assert r.status_code == 404 and r.json() == {"detail": "no item 7"}
    assert r.headers["x-stamp"] == "sync-middleware"
    r = client.get("/mw/missing/x")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "item_id"]


def test_spec_forms() -> None:
    configured = ["a.A", "b.B", "c.C"]
    assert resolve_spec(True, configured) == configured
    assert resolve_spec(False, configured) == []
    assert resolve_spec(["c.C"], configured) == ["c.C"]
    assert resolve_spec({"exclude": ["b.B"]}, configured) == ["a.A", "c.C"]
    assert resolve_spec({"include": ["c.C", "a.A"]}, configured) == ["a.A", "c.C"]
    with pytest.raises(BoltConfigError, match="does not list"):
        resolve_spec({"exclude": ["x.X"]}, configured)


@pytest.mark.parametrize("bad", ["yes", [1], {"only": ["a"]}, {"include": "a"}])
def test_bad_spec_is_a_startup_error(bad: object) -> None:
    with pytest.raises(BoltConfigError, match="django_middleware"):
        BoltAPI(django_middleware=bad)  # type: ignore[arg-type]


def _counts(url: str) -> dict[str, int]:
    r = httpx.get(f"{url}/dj/signals")
    assert r.status_code == 200
    return dict(r.json())


def test_signals_off_by_default(client: httpx.Client, bolt: BoltProcess) -> None:
    before = _counts(bolt.url)
    after = _counts(bolt.url)
    assert after == before
    # ...but the Django fallback always sends them, as Django does (docs/django.md, Signals).
    assert httpx.get(f"{bolt.url}/django/plain/").status_code == 200
    assert _counts(bolt.url) == {"started": before["started"] + 1, "finished": before["finished"] + 1}


def test_signals_sent_when_enabled(start_bolt: object, tmp_path: Path) -> None:
    p = start_bolt(env={"TEST_SIGNALS": "1"})  # type: ignore[operator]
    first = _counts(p.url)
    second = _counts(p.url)
    assert second["started"] == first["started"] + 1
    assert second["finished"] == first["finished"] + 1
