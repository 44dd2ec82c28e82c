"""The Django admin through the fallback to Django's ASGI handler, on a real runbolt."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..conftest import SUPERUSER, bolt_with_db


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, migrated_db: Path) -> Iterator[str]:
    p = bolt_with_db(migrated_db, tmp_path_factory.mktemp("admin"))
    yield p.url
    p.stop()


def _csrf_token(html: str) -> str:
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert m, "the login form has no CSRF token"
    return m.group(1)


def test_admin_login_page_renders(site: str) -> None:
    r = httpx.get(f"{site}/admin/login/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "csrfmiddlewaretoken" in r.text and 'name="username"' in r.text
    assert "csrftoken" in r.cookies
    assert r.headers["x-request-id"]  # Go's request id on Django's responses too


def test_superuser_logs_in_and_sees_the_dashboard(site: str) -> None:
    with httpx.Client(base_url=site) as c:
        assert c.get("/admin/").status_code == 302  # not logged in: to the login page
        token = _csrf_token(c.get("/admin/login/").text)
        r = c.post(
            "/admin/login/?next=/admin/",
            data={"csrfmiddlewaretoken": token, "username": SUPERUSER[0], "password": SUPERUSER[1], "next": "/admin/"},
            headers={"Referer": f"{site}/admin/login/"},
        )
        assert r.status_code == 302 and r.headers["location"] == "/admin/"
        assert "sessionid" in c.cookies
        dash = c.get("/admin/")
        assert dash.status_code == 200
        assert "Site administration" in dash.text and "Users" in dash.text


def test_wrong_password_stays_on_the_login_page(site: str) -> None:
    with httpx.Client(base_url=site) as c:
        token = _csrf_token(c.get("/admin/login/").text)
        r = c.post("/admin/login/", data={"csrfmiddlewaretoken": token, "username": SUPERUSER[0], "password": "no"})
        assert r.status_code == 200 and "sessionid" not in c.cookies
        assert "Please enter the correct username and password" in r.text


def test_post_without_csrf_token_is_refused_by_django(site: str) -> None:
    r = httpx.post(f"{site}/admin/login/", data={"username": "a", "password": "b"})
    assert r.status_code == 403


def test_append_slash_redirect_and_other_urlconf_views(site: str) -> None:
    r = httpx.get(f"{site}/admin")
    assert r.status_code == 301 and r.headers["location"] == "/admin/"
    r = httpx.get(f"{site}/django/plain/?x=1")
    assert r.status_code == 200 and r.text == "django view GET /django/plain/?x=1"


def test_streaming_http_response_is_collected_and_sent_whole(site: str) -> None:
    r = httpx.get(f"{site}/django/streamed/")
    assert r.status_code == 200 and r.text == "part0\npart1\npart2\n"
    assert r.headers["content-length"] == str(len(r.content)) and "transfer-encoding" not in r.headers


def test_unknown_paths_keep_the_json_404_and_api_paths_their_405(site: str) -> None:
    r = httpx.get(f"{site}/no/such/page")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
    r = httpx.delete(f"{site}/hello")  # an API path: Go's 405, not Django
    assert r.status_code == 405 and r.json() == {"detail": "Method Not Allowed"}
    assert httpx.get(f"{site}/hello").json() == {"message": "Hello, World!"}


@pytest.mark.parametrize("how", ["flag", "env"])
def test_no_admin_turns_the_admin_off_only(tmp_path: Path, migrated_db: Path, how: str) -> None:
    # docs/django.md: --no-admin reaches the workers as DJANGO_BOLT_NO_ADMIN=1; setting it works too.
    if how == "flag":
        p = bolt_with_db(migrated_db, tmp_path, "--no-admin")
    else:
        p = bolt_with_db(migrated_db, tmp_path, env={"DJANGO_BOLT_NO_ADMIN": "1"})
    try:
        r = httpx.get(f"{p.url}/admin/login/")
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
        assert httpx.get(f"{p.url}/django/plain/").status_code == 200  # the rest of the URLconf
    finally:
        p.stop()


def test_django_fallback_off_gives_every_unmatched_path_the_json_404(tmp_path: Path, migrated_db: Path) -> None:
    p = bolt_with_db(migrated_db, tmp_path, env={"TEST_BOLT_SETTINGS": '{"DJANGO_FALLBACK": false}'})
    try:
        for path in ("/django/plain/", "/admin/login/"):
            r = httpx.get(f"{p.url}{path}")
            assert r.status_code == 404 and r.json() == {"detail": "Not Found"}, path
        assert httpx.get(f"{p.url}/hello").json() == {"message": "Hello, World!"}  # the API still serves
    finally:
        p.stop()


def test_max_body_size_applies_to_django_views(tmp_path: Path, migrated_db: Path) -> None:
    p = bolt_with_db(migrated_db, tmp_path, env={"TEST_MAX_BODY": "1000"})
    try:
        small = httpx.post(f"{p.url}/django/plain/", content=b"x" * 10)
        assert small.status_code == 403 and "CSRF" in small.text  # reached Django's CSRF check
        big = httpx.post(f"{p.url}/django/plain/", content=b"x" * 5000)
        assert big.status_code == 413 and "detail" in big.json()
    finally:
        p.stop()
