"""DJANGO_BOLT["STATE"] and STATE_OPTIONS: validated at start-up, DJANGO_BOLT_STATE
overrides, the Go config they become, and the per-worker notice."""

from __future__ import annotations

import pytest

from django_bolt import BoltConfigError
from django_bolt._server.state import per_worker_notice, state_config
from django_bolt.auth import JWTAuthentication, SharedRevocation
from django_bolt.conf import load_settings


def test_state_from_settings_and_env() -> None:
    assert load_settings({}, environ={}).STATE is None
    assert load_settings({"STATE": "redis://r:6379/1"}, environ={}).STATE == "redis://r:6379/1"
    s = load_settings({"STATE": "redis://r:6379/1"}, environ={"DJANGO_BOLT_STATE": "rediss://other:6380/0"})
    assert s.STATE == "rediss://other:6380/0"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://r:6379", "must be a redis://"),
        ("redis://", "needs a host"),
        ("redis://r:99999/0", "not a valid URL"),
        ("redis://r:6379/zero", "database must be a number"),
        ("unix://", "needs a socket path"),
    ],
)
def test_bad_state_url(url: str, message: str) -> None:
    with pytest.raises(BoltConfigError, match=message):
        load_settings({"STATE": url}, environ={})


def test_bad_url_never_echoes_the_password() -> None:
    with pytest.raises(BoltConfigError) as err:
        load_settings({"STATE": "redis://u:hunter2@r:99999/0"}, environ={})
    assert "hunter2" not in str(err.value)


@pytest.mark.parametrize(
    "options",
    [
        {"rate_limit": "maybe"},
        {"revocation": True},
        {"timeout": 0},
        {"revocation_cache": "1"},
        {"pool_size": 0},
        {"x": 1},
    ],
)
def test_bad_state_options(options: dict[str, object]) -> None:
    with pytest.raises(BoltConfigError, match="STATE_OPTIONS"):
        load_settings({"STATE": "redis://r:6379/0", "STATE_OPTIONS": options}, environ={})


def test_go_config() -> None:
    assert state_config(load_settings({}, environ={})) == {}
    s = load_settings(
        {"STATE": "redis://r:6379/0", "STATE_OPTIONS": {"rate_limit": "closed", "timeout": 0.05, "pool_size": 8}},
        environ={},
    )
    assert state_config(s) == {
        "state": {
            "url": "redis://r:6379/0",
            "timeout_ms": 50,
            "rate_limit": "closed",
            "revocation": "closed",
            "revocation_cache_ms": 1000,
            "pool_size": 8,
        }
    }


def test_per_worker_notice() -> None:
    assert per_worker_notice(1, load_settings({}, environ={})) is None
    assert per_worker_notice(4, load_settings({"STATE": "redis://r:6379/0"}, environ={})) is None
    notice = per_worker_notice(4, load_settings({}, environ={}))
    assert notice is not None and "per worker" in notice and "4x" in notice


def test_shared_revocation_meta() -> None:
    store = SharedRevocation(default_ttl=120)
    meta = JWTAuthentication(secret="x" * 40, revocation_store=store).to_metadata()
    assert meta["revocation_shared"] is True
    assert meta["revocation_ttl"] == 120.0
    assert meta["revocation_id"] == store.id
    with pytest.raises(ValueError, match="default_ttl"):
        SharedRevocation(default_ttl=0)
