"""django_bolt.admin (django-bolt's admin/ASGI-bridge names) on a real runbolt: the admin
login page is served through the fallback, and the bridge class renders it from a handler."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..conftest import SUPERUSER, bolt_with_db


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, migrated_db: Path) -> Iterator[str]:
    p = bolt_with_db(migrated_db, tmp_path_factory.mktemp("admin-bridge"), env={"TEST_ADMIN_BRIDGE": "1"})
    yield p.url
    p.stop()


def test_admin_login_page_through_runbolt(site: str) -> None:
    r = httpx.get(f"{site}/admin/login/", params={"next": "/admin/"})
    assert r.status_code == 200
    assert 'name="username"' in r.text and "csrfmiddlewaretoken" in r.text


def test_admin_detection_names(site: str) -> None:
    r = httpx.get(f"{site}/bridge/admin-info")
    assert r.status_code == 200
    assert r.json() == {
        "info": {"installed": True, "enabled": True, "url_prefix": "admin", "static_url": "static"},
        "patterns": ["/admin", "/admin/", "/admin/{path:path}"],
    }


def test_asgi_fallback_handler_renders_the_login_page(site: str) -> None:
    r = httpx.get(f"{site}/bridge/login-page")
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["status"] == 200
    assert page["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert 'name="username"' in page["body"]


def test_no_admin_turns_the_admin_off(tmp_path: Path, migrated_db: Path) -> None:
    p = bolt_with_db(migrated_db, tmp_path, "--no-admin", env={"TEST_ADMIN_BRIDGE": "1"})
    try:
        assert httpx.get(f"{p.url}/admin/login/").status_code == 404
        assert httpx.get(f"{p.url}/bridge/admin-info").json()["info"]["enabled"] is False
    finally:
        p.stop()


def test_jwt_auth_views_log_a_django_user_in(site: str) -> None:
    with httpx.Client(base_url=site, timeout=10) as c:
        bad = c.post("/db-auth/login", json={"username": SUPERUSER[0], "password": "wrong"})
        assert bad.status_code == 401 and bad.json() == {"detail": "Invalid credentials"}
        r = c.post("/db-auth/login", json={"username": SUPERUSER[0], "password": SUPERUSER[1]})
        assert r.status_code == 200, r.text
        assert c.get("/db-auth/me").json() == {"username": SUPERUSER[0]}
