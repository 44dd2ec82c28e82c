"""CompressionConfig, @no_compress and the metrics/access-log settings: validated at start-up,
sent to Go as JSON."""

from __future__ import annotations

import json

import pytest

from django_bolt import BoltAPI, BoltConfigError, CompressionConfig, Router
from django_bolt._server.discovery import collect_routes
from django_bolt._server.serve import ServeOptions, server_config
from django_bolt.conf import load_settings
from django_bolt.middleware import no_compress


def config_for(apis: list[BoltAPI], raw: dict[str, object] | None = None, dev: bool = False) -> dict[str, object]:
    settings = load_settings(raw or {}, environ={})
    opts = ServeOptions(host="127.0.0.1", port=0, backlog=16, settings=settings, dev=dev)
    result: dict[str, object] = json.loads(server_config(collect_routes(apis), opts))
    return result


def test_compression_defaults_send_nothing_per_route() -> None:
    api = BoltAPI()

    @api.get("/a")
    async def a() -> None: ...

    assert "route_compression" not in config_for([api])
    assert CompressionConfig() == CompressionConfig(backend="brotli", minimum_size=500, gzip_fallback=True)


def test_api_config_no_compress_and_disabled_api() -> None:
    tuned = BoltAPI(prefix="/t", compression=CompressionConfig(backend="zstd", minimum_size=100))
    off = BoltAPI(prefix="/off", compression=False)
    plain = BoltAPI()

    @tuned.get("/a")
    async def a() -> None: ...

    @off.get("/b")
    async def b() -> None: ...

    @plain.get("/c")
    @no_compress
    async def c() -> None: ...

    @plain.get("/d")
    async def d() -> None: ...

    per_route = config_for([tuned, off, plain])["route_compression"]
    assert per_route == {
        "0": {
            "backend": "zstd",
            "minimum_size": 100,
            "gzip_fallback": True,
            "gzip_level": 1,
            "brotli_quality": 3,
            "zstd_level": 1,
        },
        "1": {"disabled": True},
        "2": {"disabled": True},
    }


def test_included_router_routes_take_the_serving_apis_config() -> None:
    router = Router()

    @router.get("/r")
    async def r() -> None: ...

    off = BoltAPI(prefix="/off", compression=False)
    tuned = BoltAPI(prefix="/t", compression=CompressionConfig(minimum_size=7))
    off.include_router(router)
    tuned.include_router(router)
    per_route = config_for([off, tuned])["route_compression"]
    assert isinstance(per_route, dict)
    assert per_route["0"] == {"disabled": True} and per_route["1"]["minimum_size"] == 7


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"backend": "deflate"}, "backend"),
        ({"minimum_size": -1}, "minimum_size"),
        ({"minimum_size": True}, "minimum_size"),
        ({"gzip_fallback": "yes"}, "gzip_fallback"),
        ({"gzip_level": 10}, "gzip_level"),
        ({"brotli_quality": 12}, "brotli_quality"),
        ({"zstd_level": 0}, "zstd_level"),
    ],
)
def test_compression_config_is_validated(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(BoltConfigError, match=match):
        CompressionConfig(**kwargs)  # type: ignore[arg-type]


def test_bolt_api_rejects_a_non_config() -> None:
    with pytest.raises(BoltConfigError, match="CompressionConfig"):
        BoltAPI(compression="gzip")  # type: ignore[arg-type]


def test_observability_defaults() -> None:
    cfg = config_for([BoltAPI()])
    assert cfg["metrics_path"] == "/metrics"
    assert "metrics_token" not in cfg
    assert cfg["access_log"] == {"format": "json", "sample": 1.0, "slow_ms": 0}
    assert config_for([BoltAPI()], dev=True)["access_log"] == {"format": "text", "sample": 1.0, "slow_ms": 0}


def test_observability_settings_are_sent() -> None:
    raw = {"METRICS_PATH": None, "METRICS_TOKEN": "abc", "ACCESS_LOG_SAMPLE": 0.25, "ACCESS_LOG_SLOW_MS": 50}
    cfg = config_for([BoltAPI()], raw)
    assert cfg["metrics_path"] == ""
    assert cfg["metrics_token"] == "abc"
    assert cfg["access_log"] == {"format": "json", "sample": 0.25, "slow_ms": 50}
    assert "access_log" not in config_for([BoltAPI()], {"ACCESS_LOG": False})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("METRICS_PATH", "metrics"),
        ("METRICS_TOKEN", ""),
        ("METRICS_TOKEN", "a b"),
        ("ACCESS_LOG", 1),
        ("ACCESS_LOG_SAMPLE", 0),
        ("ACCESS_LOG_SAMPLE", 1.5),
        ("ACCESS_LOG_SLOW_MS", -5),
        ("ACCESS_LOG_SLOW_MS", 1.5),
    ],
)
def test_observability_settings_are_validated(key: str, value: object) -> None:
    with pytest.raises(BoltConfigError, match=key):
        load_settings({key: value}, environ={})
