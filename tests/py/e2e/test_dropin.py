"""Issue 18's headline test: a django-bolt project (tests/py/dropin, written against
django-bolt's documented API only) imports and serves unchanged through a real runbolt."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..conftest import BoltProcess

DROPIN = Path(__file__).resolve().parents[1] / "dropin"


@pytest.fixture(scope="module")
def bolt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoltProcess]:
    log = tmp_path_factory.mktemp("dropin") / "runbolt.log"
    # django-bolt's runbolt flags
    server = BoltProcess(DROPIN, log, "--processes", "1", "--keep-alive", "1")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def dropin(bolt: BoltProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=bolt.url, timeout=10) as client:
        yield client


@pytest.fixture
def dropin_log(bolt: BoltProcess) -> Path:
    return bolt.log_path


@pytest.fixture
def dropin_port(bolt: BoltProcess) -> int:
    return bolt.port


def test_route_with_path_query_and_state_from_middleware(dropin: httpx.Client) -> None:
    r = dropin.get("/items/1", params={"q": "x"}, headers={"X-Tenant": "acme"})
    assert r.status_code == 200
    assert r.json() == {"id": 1, "name": "pen", "q": "x", "tenant": "acme"}
    assert r.headers["x-tenant"] == "acme"  # BoltAPI(middleware=[...]) ran around it


def test_errors_keep_their_status_and_shape(dropin: httpx.Client) -> None:
    r = dropin.get("/items/99")
    assert (r.status_code, r.json()) == (404, {"detail": "no item 99"})
    assert dropin.get("/teapot").status_code == 418
    bad = dropin.get("/items/abc")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["path", "item_id"]


def test_body_and_status_code_constant(dropin: httpx.Client) -> None:
    r = dropin.post("/items", json={"name": "ink", "price": 2})
    assert r.status_code == 201
    assert r.json()["name"] == "ink"
    assert dropin.post("/items", json={"name": "ink"}).status_code == 422


def test_response_with_dict_content_and_chained_cookies(dropin: httpx.Client) -> None:
    r = dropin.get("/raw")
    assert r.status_code == 202
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"raw": True}
    cookies = r.headers.get_list("set-cookie")
    assert "seen=1; Path=/; SameSite=Lax" in cookies
    assert "flag=x; Path=/" in cookies
    assert dropin.get("/html").headers["content-type"].startswith("text/html")
    assert dropin.get("/gone").status_code == 404


def test_event_stream_gets_sse_headers(dropin: httpx.Client) -> None:
    r = dropin.get("/events")
    assert r.text == "data: one\n\ndata: two\n\n"
    assert r.headers["cache-control"] == "no-cache, no-store, must-revalidate"
    assert r.headers["x-accel-buffering"] == "no"
    assert r.headers["expires"] == "0"


def test_route_middleware_and_skip(dropin: httpx.Client) -> None:
    r = dropin.get("/stamped")
    assert r.headers["x-stamp"] == "route"
    assert r.headers["x-response-time"].endswith("ms")
    assert r.headers["x-tenant"] == "public"  # the API's middleware is outermost
    bare = dropin.get("/bare")
    assert bare.json() == {"bare": True}
    assert "x-tenant" not in bare.headers


def test_cors_django_bolt_keywords_and_skip(dropin: httpx.Client) -> None:
    origin = "https://other.example"
    pre = dropin.options("/cors-open", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == origin
    assert pre.headers["access-control-allow-credentials"] == "true"
    assert pre.headers["access-control-max-age"] == "600"
    # the global policy (CORS_ALLOWED_ORIGINS) applies elsewhere, but not where skipped
    assert (
        dropin.get("/items/1", headers={"Origin": "https://app.example"}).headers["access-control-allow-origin"]
        == "https://app.example"
    )
    off = dropin.get("/cors-off", headers={"Origin": "https://app.example"})
    assert off.status_code == 200
    assert "access-control-allow-origin" not in off.headers


def test_rate_limit_with_burst(dropin: httpx.Client) -> None:
    codes = [dropin.get("/limited").status_code for _ in range(4)]
    assert codes[:2] == [200, 200]
    assert 429 in codes[2:]


def test_router_dependencies_prefix_and_mount(dropin: httpx.Client) -> None:
    assert dropin.get("/v1/who").status_code == 401
    r = dropin.get("/v1/who", params={"page": 2}, headers={"X-API-Key": "secret", "X-Tenant": "t"})
    assert r.json() == {"page": 2, "tenant": "t"}
    assert dropin.get("/other/ping").text == "pong"


def test_trailing_slash_redirects_to_the_canonical_path(dropin: httpx.Client) -> None:
    r = dropin.get("/stamped/")
    assert r.status_code == 301  # docs/migrating-from-django-bolt.md: 301 for GET, 308 otherwise
    assert r.headers["location"].endswith("/stamped")
    r = dropin.post("/items/", json={})
    assert r.status_code == 308 and r.headers["location"].endswith("/items")


def test_discovery_variants_and_sync_handlers(dropin: httpx.Client) -> None:
    assert dropin.get("/project-level").json() == {"where": "project"}
    assert dropin.get("/bolt-api/hello").json() == {"sync": True}


def test_bolt_setting_alias_applies(dropin: httpx.Client) -> None:
    assert dropin.post("/items", content=b"x" * 5000, headers={"content-type": "application/json"}).status_code == 413


def test_start_up_warnings_name_the_aliases_and_sync_handlers(dropin_log: Path) -> None:
    text = dropin_log.read_text()
    assert "settings.BOLT_MAX_UPLOAD_SIZE is django-bolt's name for DJANGO_BOLT['MAX_BODY_SIZE']" in text
    assert "1 plain `def` handler(s) run in a thread pool" in text


def test_keep_alive_closes_idle_connections(dropin_port: int) -> None:
    with socket.create_connection(("127.0.0.1", dropin_port), timeout=10) as s:
        s.sendall(b"GET /project-level HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(65536).startswith(b"HTTP/1.1 200")
        # --keep-alive 1: the idle connection is closed by the server (default 75 s)
        s.settimeout(8)
        assert s.recv(1) == b""


def test_int_path_parameter_refuses_exponents(dropin: httpx.Client) -> None:
    r = dropin.get("/items/1e10")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["path", "item_id"]


def test_openapi_config_keywords_and_document_paths(dropin: httpx.Client) -> None:
    doc = dropin.get("/docs/openapi.json").json()
    assert doc == dropin.get("/openapi.json").json()
    info = doc["info"]
    assert (info["title"], info["version"], info["summary"]) == ("Blog", "2.1.0", "A django-bolt project")
    assert info["contact"] == {"name": "Ops", "email": "ops@example.com"}
    assert info["license"] == {"name": "MIT"}
    assert doc["servers"] == [{"url": "https://api.example.com"}]
    assert doc["externalDocs"] == {"url": "https://docs.example.com"}
    assert {"name": "v1", "description": "Version 1"} in doc["tags"]
    assert "/items/{item_id}" in doc["paths"]
    assert not any(p.startswith("/other") for p in doc["paths"])  # exclude_paths
    for path in ("/docs/openapi.yaml", "/docs/openapi.yml"):
        r = dropin.get(path)
        assert r.status_code == 200
        assert '"title": "Blog"' in r.text
    assert dropin.get("/docs").status_code == 200  # Swagger UI
    assert dropin.get("/docs/redoc").status_code == 200
    assert dropin.get("/docs/scalar").status_code == 404  # not among the render plugins


def test_bolt_compression_setting_turns_compression_off(dropin: httpx.Client) -> None:
    r = dropin.get("/big", headers={"Accept-Encoding": "gzip, br"})
    assert len(r.content) > 1000  # big enough that the API's default policy would compress it
    assert "content-encoding" not in r.headers


def test_router_middleware_dicts_configure_go(dropin: httpx.Client) -> None:
    origin = {"Origin": "https://partner.example"}
    replies = [dropin.get("/partner/feed", headers=origin) for _ in range(4)]
    assert replies[0].headers["access-control-allow-origin"] == "https://partner.example"
    limited = [r for r in replies if r.status_code == 429]
    assert limited and limited[0].headers["x-ratelimit-limit"] == "1"
    assert "access-control-allow-origin" not in dropin.get("/items/1", headers=origin).headers


def test_http_exception_body_is_sent_without_envelope(dropin: httpx.Client) -> None:
    r = dropin.post("/plans/0/start")
    assert (r.status_code, r.json()) == (400, {"code": "unhealthy", "message": "plan 0 is not healthy"})
    assert r.headers["x-plan"] == "0"
    assert dropin.post("/plans/3/start").json() == {"id": 3}


def test_reload_dir_restarts_workers_on_a_change_there(tmp_path: Path) -> None:
    watched = tmp_path / "watched"
    watched.mkdir()
    (watched / "plugin.py").write_text("X = 1\n")
    server = BoltProcess(DROPIN, tmp_path / "dev.log", "--dev", "--reload-poll", "--reload-dir", str(watched))
    try:
        server.wait_ready()
        deadline = time.monotonic() + 20
        while "watching for file changes" not in server.log():
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.1)
        time.sleep(1.5)  # the poller's first pass records the mtimes
        (watched / "plugin.py").write_text("X = 2\n")
        while "plugin.py changed; restarting the workers" not in server.log():
            assert time.monotonic() < deadline + 20, server.log()
            time.sleep(0.1)
    finally:
        server.stop()


def test_reload_dir_needs_dev() -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "runbolt", "--reload-dir", "."], cwd=DROPIN, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "--reload-dir needs --dev" in done.stderr


def test_mount_django(dropin: httpx.Client) -> None:
    r = dropin.get("/legacy/hello")  # root_path=/legacy: Django resolves "hello"
    assert (r.status_code, r.text) == (200, "django says hi at /hello")
    full = dropin.get("/full/hello")  # clear_root_path: Django resolves the whole path
    assert (full.status_code, full.text) == (200, "django says hi at /full/hello")


def test_reverse_resolves_api_routes(dropin: httpx.Client) -> None:
    assert dropin.get("/links").json() == {"item": "/items/5", "self": "/links"}


def test_shortcuts_render(dropin: httpx.Client) -> None:
    r = dropin.get("/page")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.text.strip() == "<h1>Hello bolt</h1>"


def test_health_helpers_feed_ready(dropin: httpx.Client) -> None:
    r = dropin.get("/ready")
    assert r.status_code == 200
    assert r.json()["checks"]["health_checks"] == "ok"
    assert dropin.get("/health").json() == {"status": "ok"}


def test_bolt_static_max_age(dropin: httpx.Client) -> None:
    r = dropin.get("/static/app.css")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=3600"


def test_query_method(dropin: httpx.Client) -> None:
    r = dropin.request("QUERY", "/search", json={"term": "pen"})
    assert (r.status_code, r.json()) == (200, {"found": ["pen"]})
    assert dropin.get("/search").status_code == 405


def test_request_meta_has_djangos_keys(dropin: httpx.Client, dropin_port: int) -> None:
    meta = dropin.get("/meta", params={"a": "1"}).json()
    assert meta == {
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(dropin_port),
        "SCRIPT_NAME": "",
        "QUERY_STRING": "a=1",
        "REQUEST_METHOD": "GET",
    }


def test_django_middleware_in_a_bolt_chain(dropin: httpx.Client) -> None:
    r = dropin.get("/django-mw")
    assert r.json() == {"ok": True}
    assert (r.headers["x-django-stamp"], r.headers["x-tag"]) == ("/django-mw", "blue")
    assert r.headers["x-tenant"] == "public"  # the API's Bolt middleware is still outermost
    blocked = dropin.get("/django-mw", headers={"X-Block": "1"})
    assert (blocked.status_code, blocked.text) == (403, "blocked by django middleware")
    stacked = dropin.get("/django-stack")
    assert stacked.json() == {"stacked": True}
    assert (stacked.headers["x-frame-options"], stacked.headers["x-django-stamp"]) == ("DENY", "/django-stack")
    assert dropin.get("/loaded/x").headers["x-frame-options"] == "DENY"
