"""The shared state store (``DJANGO_BOLT["STATE"]``, ``libbolt/state/``): checking the
setting at start-up and its part of the Go config."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..exceptions import BoltConfigError

if TYPE_CHECKING:
    from ..conf import BoltSettings

#: Keys of ``DJANGO_BOLT["STATE_OPTIONS"]`` and their defaults.
OPTION_DEFAULTS: dict[str, Any] = {
    "timeout": 0.25,  # seconds, every Redis call
    "rate_limit": "open",  # Redis down: serve limited requests uncounted
    "revocation": "closed",  # Redis down: refuse tokens whose revocation cannot be checked
    "revocation_cache": 1.0,  # seconds a "not revoked" answer is reused by a worker
    "pool_size": None,  # connections per worker; None: go-redis's 10 per CPU
}
_SCHEMES = ("redis", "rediss", "unix")


def check_url(url: str) -> None:
    """Refuse a ``STATE`` value that is not a Redis URL (the password never echoed)."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise BoltConfigError("DJANGO_BOLT['STATE'] is not a valid URL") from None
    if parts.scheme not in _SCHEMES:
        raise BoltConfigError(
            "DJANGO_BOLT['STATE'] must be a redis://host:port/db, rediss:// or unix:// URL, "
            f"got scheme {parts.scheme!r}"
        )
    if parts.scheme != "unix" and not parts.hostname:
        raise BoltConfigError("DJANGO_BOLT['STATE'] needs a host: redis://host:6379/0")
    if parts.scheme == "unix" and not parts.path:
        raise BoltConfigError("DJANGO_BOLT['STATE'] needs a socket path: unix:///run/redis.sock")
    db = parts.path.strip("/")
    if parts.scheme != "unix" and db and not db.isdigit():
        raise BoltConfigError(f"DJANGO_BOLT['STATE'] database must be a number, got {db!r}")


def check_options(options: dict[str, Any]) -> None:
    """Refuse unknown or ill-typed ``STATE_OPTIONS`` keys."""
    unknown = sorted(set(options) - set(OPTION_DEFAULTS))
    if unknown:
        raise BoltConfigError(
            f"DJANGO_BOLT['STATE_OPTIONS'] has unknown key(s) {unknown}; use {', '.join(OPTION_DEFAULTS)}"
        )
    for key in ("rate_limit", "revocation"):
        if key in options and options[key] not in ("open", "closed"):
            raise BoltConfigError(
                f"DJANGO_BOLT['STATE_OPTIONS'][{key!r}] must be 'open' or 'closed', got {options[key]!r}"
            )
    for key in ("timeout", "revocation_cache"):
        v = options.get(key)
        if key in options and (isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0):
            raise BoltConfigError(f"DJANGO_BOLT['STATE_OPTIONS'][{key!r}] must be a positive number of seconds")
    v = options.get("pool_size")
    if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
        raise BoltConfigError("DJANGO_BOLT['STATE_OPTIONS']['pool_size'] must be an integer >= 1")


def state_config(s: BoltSettings) -> dict[str, Any]:
    """The ``state`` key of the Go config (libbolt/state.Config); empty without ``STATE``."""
    if s.STATE is None:
        return {}
    o = {**OPTION_DEFAULTS, **(s.STATE_OPTIONS or {})}
    config: dict[str, Any] = {
        "url": s.STATE,
        "timeout_ms": max(1, round(o["timeout"] * 1000)),
        "rate_limit": o["rate_limit"],
        "revocation": o["revocation"],
        "revocation_cache_ms": max(1, round(o["revocation_cache"] * 1000)),
    }
    if o["pool_size"] is not None:
        config["pool_size"] = o["pool_size"]
    return {"state": config}


def per_worker_notice(workers: int, s: BoltSettings) -> str | None:
    """The one line a multi-worker start without ``STATE`` prints: each worker counts its
    own rate limits and revocations."""
    if workers < 2 or s.STATE is not None:
        return None
    return (
        f"{workers} workers without DJANGO_BOLT['STATE']: rate limits and "
        f"InMemoryRevocation are per worker (a limit admits up to {workers}x); set STATE to a "
        "redis:// URL to share them (docs/deployment.md)"
    )
