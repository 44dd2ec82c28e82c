"""Sessions, request.user / auser(), alogin/alogout and CSRF from API handlers (real runbolt)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..conftest import SUPERUSER, bolt_with_db


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory, migrated_db: Path) -> Iterator[str]:
    p = bolt_with_db(migrated_db, tmp_path_factory.mktemp("sessions"))
    yield p.url
    p.stop()


def _login(c: httpx.Client) -> None:
    r = c.post("/dj/login", json={"username": SUPERUSER[0], "password": SUPERUSER[1]})
    assert r.status_code == 200 and r.json() == {"username": SUPERUSER[0]}
    assert "sessionid" in c.cookies and "csrftoken" in c.cookies


def test_anonymous_without_a_cookie(url: str) -> None:
    r = httpx.get(f"{url}/dj/me")
    assert r.json() == {"authenticated": False, "username": ""}
    assert "set-cookie" not in r.headers


def test_login_then_authenticated_api_call(url: str) -> None:
    with httpx.Client(base_url=url) as c:
        _login(c)
        assert c.get("/dj/me").json() == {"authenticated": True, "username": SUPERUSER[0]}


def test_request_user_loads_in_a_thread_and_explains_itself_on_the_loop(url: str) -> None:
    assert httpx.get(f"{url}/dj/user-loop").json() == {"username": ""}  # anonymous: no query needed
    with httpx.Client(base_url=url) as c:
        _login(c)
        assert c.get("/dj/user-thread").json() == {"username": SUPERUSER[0]}
        error = c.get("/dj/user-loop").json()["error"]
        assert "use `user = await request.auser()`" in error


def test_session_authentication_backend_with_guards(url: str) -> None:
    r = httpx.get(f"{url}/dj/guarded")
    assert r.status_code == 401 and r.json() == {"detail": "Authentication credentials were not provided."}
    with httpx.Client(base_url=url) as c:
        _login(c)
        r = c.get("/dj/guarded")
        assert r.status_code == 200 and r.json()["backend"] == "session" and r.json()["user_id"].isdigit()
        assert c.get("/dj/perm").json() == {"ok": True}  # a superuser has every permission


def test_session_cookie_attributes(url: str) -> None:
    r = httpx.post(f"{url}/dj/login", json={"username": SUPERUSER[0], "password": SUPERUSER[1]})
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("sessionid="))
    assert "HttpOnly" in session and "Path=/" in session and "SameSite=Lax" in session
    assert r.headers["vary"] == "Cookie"


def test_bad_credentials_are_401_and_no_session(url: str) -> None:
    r = httpx.post(f"{url}/dj/login", json={"username": SUPERUSER[0], "password": "wrong"})
    assert r.status_code == 401 and r.json() == {"detail": "bad credentials"}
    assert not any(c.startswith("sessionid=") for c in r.headers.get_list("set-cookie"))


def test_unsafe_method_with_session_needs_the_csrf_token(url: str) -> None:
    with httpx.Client(base_url=url) as c:
        _login(c)
        r = c.post("/dj/me/notes", content=b"one")
        assert r.status_code == 403 and r.json() == {"detail": "CSRF Failed: CSRF token missing."}
        r = c.post("/dj/me/notes", content=b"one", headers={"X-CSRFToken": "x" * 32})
        assert r.status_code == 403 and r.json()["detail"].startswith("CSRF Failed")
        token = c.cookies["csrftoken"]
        assert c.post("/dj/me/notes", content=b"one", headers={"X-CSRFToken": token}).json() == {"notes": 1}
        assert c.post("/dj/me/notes", content=b"two", headers={"X-CSRFToken": token}).json() == {"notes": 2}
        bad_origin = {"X-CSRFToken": token, "Origin": "http://evil.example"}
        r = c.post("/dj/me/notes", content=b"x", headers=bad_origin)
        assert r.status_code == 403 and "Origin checking failed" in r.json()["detail"]


def test_csrf_exempt_is_respected(url: str) -> None:
    with httpx.Client(base_url=url) as c:
        _login(c)
        assert c.post("/dj/exempt").json() == {"authenticated": True}


def test_session_persists_and_logout_ends_it(url: str) -> None:
    with httpx.Client(base_url=url) as c:
        assert [c.get("/dj/counter").json()["n"] for _ in range(3)] == [1, 2, 3]
        _login(c)  # alogin cycles the session key but keeps the data
        assert c.get("/dj/counter").json() == {"n": 4}
        r = c.post("/dj/logout", headers={"X-CSRFToken": c.cookies["csrftoken"]})
        assert r.json() == {"ok": True}
        assert c.get("/dj/me").json()["authenticated"] is False
        assert c.get("/dj/counter").json() == {"n": 1}


def test_forged_session_cookie_is_anonymous(url: str) -> None:
    r = httpx.get(f"{url}/dj/me", cookies={"sessionid": "not-a-real-session"})
    assert r.status_code == 200 and r.json()["authenticated"] is False


def test_logout_flushes_the_session_and_kills_its_key(url: str) -> None:
    """Issue 15: after ``alogout`` the old session key is dead and its data gone, even for
    a client that keeps sending the old cookie (a stolen or cached one)."""
    with httpx.Client(base_url=url) as c:
        _login(c)
        assert c.get("/dj/counter").json() == {"n": 1}
        assert c.get("/dj/counter").json() == {"n": 2}
        old = c.cookies["sessionid"]
        r = c.post("/dj/logout", headers={"X-CSRFToken": c.cookies["csrftoken"]})
        assert r.json() == {"ok": True}
        # The reply deletes the cookie (empty value, expired).
        assert any(h.startswith("sessionid=") and "Max-Age=0" in h for h in r.headers.get_list("set-cookie"))
    replay = {"Cookie": f"sessionid={old}"}
    assert httpx.get(f"{url}/dj/me", headers=replay).json() == {"authenticated": False, "username": ""}
    assert httpx.get(f"{url}/dj/guarded", headers=replay).status_code == 401  # SessionAuthentication
    r = httpx.get(f"{url}/dj/counter", headers=replay)
    assert r.json() == {"n": 1}  # the old data is gone
    fresh = [h for h in r.headers.get_list("set-cookie") if h.startswith("sessionid=")]
    assert fresh and not fresh[0].startswith(f"sessionid={old};")  # a new key, not the old one


def test_logout_behind_django_middleware_kills_the_session(url: str) -> None:
    """Issue 15, item 7, on an API that runs settings.MIDDLEWARE (django_middleware=True):
    ``alogout`` there must flush the same session the middleware saves, so the old key is
    dead and its data gone."""
    with httpx.Client(base_url=url) as c:
        _login(c)
        assert c.get("/mw/counter").json() == {"n": 1}
        assert c.get("/mw/counter").json() == {"n": 2}
        old = c.cookies["sessionid"]
        r = c.post("/mw/logout", headers={"X-CSRFToken": c.cookies["csrftoken"]})
        assert r.status_code == 200 and r.json() == {"ok": True}
    replay = {"Cookie": f"sessionid={old}"}
    assert httpx.get(f"{url}/dj/me", headers=replay).json() == {"authenticated": False, "username": ""}
    assert httpx.get(f"{url}/mw/counter", headers=replay).json() == {"n": 1}  # the old data is gone


def test_request_user_loaded_before_async_handlers_on_auth_routes(url: str) -> None:
    """django-bolt's request.user in async code on auth routes: the user, or None."""
    assert httpx.get(f"{url}/dj/jwt-user").json() == {"username": None}  # no token: anonymous
    with httpx.Client(base_url=url) as c:
        _login(c)
        assert c.get("/dj/session-user").json() == {"username": SUPERUSER[0]}
        token = c.get("/dj/token").json()["token"]
        ghost = c.get("/dj/token", params={"ghost": "1"}).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{url}/dj/jwt-user", headers=bearer).json() == {"username": SUPERUSER[0]}
    gone = {"Authorization": f"Bearer {ghost}"}
    assert httpx.get(f"{url}/dj/jwt-user", headers=gone).json() == {"username": None}  # no such user
