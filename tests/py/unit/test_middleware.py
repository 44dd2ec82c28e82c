"""@cors and the global CORS settings: validated at import/start-up, sent to Go as JSON."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from django_bolt import BoltAPI, BoltConfigError
from django_bolt._server.serve import ServeOptions, server_config
from django_bolt.conf import load_settings
from django_bolt.middleware import CORS_ATTR, cors, global_cors, route_cors


def test_cors_decorator_stores_only_what_was_given() -> None:
    @cors(allowed_origins=["https://a.example"], max_age=0)
    async def handler() -> None: ...

    assert getattr(handler, CORS_ATTR) == {"allowed_origins": ["https://a.example"], "max_age": 0}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"allowed_origins": "https://a.example"}, "list of strings"),
        ({"allowed_origins": ["https://a.example/"]}, "no path"),
        ({"allowed_origins": ["a.example"]}, "no path"),
        ({"allowed_origin_regexes": ["(("]}, "bad origin regex"),
        ({"allow_credentials": 1}, "True or False"),
        ({"max_age": -1}, "seconds"),
        ({"max_age": True}, "seconds"),
    ],
)
def test_cors_decorator_rejects_bad_values(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(BoltConfigError, match=match):
        cors(**kwargs)  # type: ignore[arg-type]


def test_global_cors_needs_an_origin_setting() -> None:
    assert global_cors(SimpleNamespace(CORS_ALLOW_CREDENTIALS=True)) is None
    got = global_cors(SimpleNamespace(CORS_ALLOWED_ORIGINS=("https://a.example",), CORS_PREFLIGHT_MAX_AGE=60))
    assert got == {"allowed_origins": ["https://a.example"], "max_age": 60}
    with pytest.raises(BoltConfigError, match="settings.CORS_ALLOWED_ORIGINS"):
        global_cors(SimpleNamespace(CORS_ALLOWED_ORIGINS=["https://a.example/path"]))


def test_route_cors_overrides_the_global_policy() -> None:
    @cors(allow_all_origins=True)
    async def handler() -> None: ...

    async def plain() -> None: ...

    base = {"allowed_origins": ["https://a.example"], "allow_credentials": True}
    assert route_cors(handler, base) == {**base, "allow_all_origins": True}
    assert route_cors(plain, base) is None


def test_server_config_sends_limits_health_and_route_cors() -> None:
    api = BoltAPI()

    @api.get("/a")
    async def a() -> None: ...

    @api.get("/b")
    @cors(allowed_origins=["https://b.example"])
    async def b() -> None: ...

    settings = load_settings({"MAX_HEADERS": 50, "MAX_URI_BYTES": 4096, "HEALTH_PATH": None}, environ={})
    opts = ServeOptions(host="127.0.0.1", port=0, backlog=16, settings=settings)
    cfg = json.loads(server_config(api.routes, opts))
    assert (cfg["max_headers"], cfg["max_uri_bytes"], cfg["health_path"]) == (50, 4096, "")
    assert list(cfg["route_cors"]) == ["1"]
    assert cfg["route_cors"]["1"]["allowed_origins"] == ["https://b.example"]


@pytest.mark.parametrize(("key", "value"), [("MAX_HEADERS", 0), ("MAX_URI_BYTES", "8k"), ("HEALTH_PATH", "health")])
def test_limit_settings_are_validated(key: str, value: object) -> None:
    with pytest.raises(BoltConfigError, match=key):
        load_settings({key: value}, environ={})


def test_health_path_defaults_and_can_be_turned_off() -> None:
    assert load_settings({}, environ={}).HEALTH_PATH == "/health"
    assert load_settings({"HEALTH_PATH": None}, environ={}).HEALTH_PATH is None
