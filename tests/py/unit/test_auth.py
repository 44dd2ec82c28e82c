"""django_bolt.auth and @rate_limit at registration: validation and the config Go gets."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from django_bolt import BoltAPI, BoltConfigError, rate_limit
from django_bolt._server.serve import ServeOptions, server_config
from django_bolt.auth import (
    AllowAny,
    APIKeyAuthentication,
    HasAnyPermission,
    InMemoryRevocation,
    IsAuthenticated,
    JWTAuthentication,
    Requires,
    SessionAuthentication,
    Token,
)
from django_bolt.conf import load_settings

SECRET = "unit-tests-secret-" + "x" * 32


def go_config(api: BoltAPI, **settings: Any) -> dict[str, Any]:
    opts = ServeOptions(host="127.0.0.1", port=0, backlog=1, settings=load_settings(settings, environ={}))
    config: dict[str, Any] = json.loads(server_config(api.routes, opts))
    return config


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"secret": "short"}, "at least 32"),
        ({"secret": SECRET, "algorithms": ["none"]}, "not supported"),
        ({"secret": SECRET, "algorithms": ["HS256", "RS256"]}, "mix key families"),
        ({"secret": SECRET, "algorithms": []}, "must not be empty"),
        ({"algorithms": ["RS256"]}, "public_key"),
        ({"secret": SECRET, "leeway": -1}, "leeway"),
        ({"secret": SECRET, "public_key": "pem"}, "not both"),
    ],
)
def test_jwt_backend_rejects_bad_configuration(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(BoltConfigError, match=match):
        JWTAuthentication(**kwargs)


def test_api_key_backend_needs_keys() -> None:
    with pytest.raises(BoltConfigError, match="non-empty"):
        APIKeyAuthentication(api_keys=set())
    with pytest.raises(BoltConfigError, match="not in api_keys"):
        APIKeyAuthentication(api_keys={"a"}, key_permissions={"b": {"x"}})


def test_guards_are_checked_at_registration() -> None:
    api = BoltAPI()
    with pytest.raises(BoltConfigError, match="IsAuthenticated\\(\\)"):
        api.get("/x", auth=[JWTAuthentication(secret=SECRET)], guards=[IsAuthenticated])(_handler)
    with pytest.raises(BoltConfigError, match="async def guard"):
        api.get("/y", auth=[JWTAuthentication(secret=SECRET)], guards=[lambda r: True])(_handler)
    with pytest.raises(BoltConfigError, match="require auth"):
        api.get("/z", guards=[IsAuthenticated()])(_handler)
    with pytest.raises(BoltConfigError, match="backend instances"):
        api.get("/w", auth=[JWTAuthentication])(_handler)
    with pytest.raises(BoltConfigError, match="permission names"):
        HasAnyPermission()
    with pytest.raises(BoltConfigError, match="not both"):
        Requires("role", "a", all_of=["b"])


async def _handler() -> dict[str, bool]:
    return {"ok": True}


def test_go_config_lists_each_backend_once() -> None:
    api = BoltAPI()
    jwt_auth = JWTAuthentication(secret=SECRET, audience="aud", leeway=5)
    store = InMemoryRevocation({"gone"})
    revocable = JWTAuthentication(secret=SECRET, revocation_store=store)
    api.get("/a", auth=[jwt_auth], guards=[IsAuthenticated()])(_handler)
    api.get("/b", auth=[jwt_auth, revocable], guards=[Requires("role", "admin")])(_handler)
    api.get("/c", auth=[jwt_auth], guards=[AllowAny()])(_handler)
    api.get("/open")(_handler)
    config = go_config(api)
    assert config["auth_backends"] == [
        {"type": "jwt", "algorithms": ["HS256"], "header": "authorization", "leeway": 5, "require_jti": False,
         "secret": SECRET, "audience": "aud"},
        {"type": "jwt", "algorithms": ["HS256"], "header": "authorization", "leeway": 60, "require_jti": True,
         "secret": SECRET, "revoked": ["gone"], "revocation_id": store.id},
    ]  # fmt: skip
    assert config["route_auth"] == {
        "0": {"backends": [0], "guards": [{"type": "is_authenticated"}], "deferred": False},
        "1": {
            "backends": [0, 1],
            "guards": [{"type": "requires", "claim": "role", "values": ["admin"], "match_all": False}],
            "deferred": False,
        },
        "2": {"backends": [0], "guards": [], "deferred": False},
    }


def test_python_side_routes_are_deferred() -> None:
    api = BoltAPI()

    async def guard(request: Any) -> bool:
        return True

    api.get("/s", auth=[SessionAuthentication()], guards=[IsAuthenticated()])(_handler)
    api.get("/c", auth=[JWTAuthentication(secret=SECRET)], guards=[IsAuthenticated(), guard])(_handler)
    config = go_config(api)
    assert config["route_auth"]["0"]["deferred"] is True
    assert config["route_auth"]["1"] == {"backends": [1], "guards": [{"type": "is_authenticated"}], "deferred": True}
    assert all(r.flags & 1 for r in api.routes)  # the Python step reads headers


def test_rate_limit_config() -> None:
    api = BoltAPI()

    @api.get("/a")
    @rate_limit(rps=5, burst=10, key="X-Client")
    async def a() -> None: ...

    @rate_limit(rps=0.5)
    @api.get("/b")
    async def b() -> None: ...

    api.get("/c")(_handler)
    config = go_config(api)
    assert config["route_rate_limit"] == {
        "0": {"rps": 5, "key": "x-client", "burst": 10},
        "1": {"rps": 0.5, "key": "ip", "burst": 1},  # django-bolt's default burst: 2 * rps
    }
    with_default = go_config(api, RATE_LIMIT={"rps": 100}, TRUSTED_PROXIES=["10.0.0.0/8"], TEST_CLOCK=5)
    assert with_default["route_rate_limit"]["2"] == {"rps": 100, "key": "ip"}
    assert with_default["trusted_proxies"] == ["10.0.0.0/8"]
    assert with_default["clock_unix"] == 5
    assert with_default["rate_limit_max_keys"] == 100_000


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"rps": 0}, "rps"), ({"rps": True}, "rps"), ({"rps": 1, "burst": 0}, "burst"), ({"rps": 1, "key": "a b"}, "key")],
)
def test_rate_limit_rejects_bad_values(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(BoltConfigError, match=match):
        rate_limit(**kwargs)


def test_rate_limit_settings_are_validated() -> None:
    with pytest.raises(BoltConfigError, match="unknown key"):
        load_settings({"RATE_LIMIT": {"rps": 1, "per": "minute"}}, environ={})
    with pytest.raises(BoltConfigError, match="rps"):
        load_settings({"RATE_LIMIT": {"rps": -1}}, environ={})
    with pytest.raises(BoltConfigError, match="TRUSTED_PROXIES"):
        load_settings({"TRUSTED_PROXIES": [10]}, environ={})


def test_token_round_trip() -> None:
    tok = Token.create(42, expires_in=60, is_staff=True, permissions=["a"], tenant="t1")
    encoded = tok.encode(SECRET)
    claims = jwt.decode(encoded, SECRET, algorithms=["HS256"])
    assert claims["sub"] == "42" and claims["is_staff"] is True and claims["tenant"] == "t1" and claims["jti"]
    back = Token.decode(encoded, SECRET)
    assert back.sub == "42" and back.permissions == ["a"] and back.extras == {"tenant": "t1"}
    with pytest.raises(BoltConfigError, match="at least 32"):
        tok.encode("short")


def test_settings_defaults_apply_but_not_to_readiness(monkeypatch: pytest.MonkeyPatch) -> None:
    from django_bolt.auth import _route
    from django_bolt.health import readiness_api

    default_auth = JWTAuthentication(secret=SECRET)
    monkeypatch.setattr(_route, "get_default_authentication_classes", lambda: [default_auth])
    monkeypatch.setattr(_route, "get_default_permission_classes", lambda: [IsAuthenticated()])
    api = BoltAPI()
    api.get("/private")(_handler)
    api.get("/public", guards=[AllowAny()])(_handler)
    routes = [*api.routes, *readiness_api([], "/ready").routes]
    assert [(r.extra["auth"], [type(g) for g in r.extra["guards"]]) for r in routes] == [
        ([default_auth], [IsAuthenticated]),
        ([default_auth], []),
        ([], []),
    ]
