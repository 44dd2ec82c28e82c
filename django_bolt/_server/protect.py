"""The auth and rate-limit part of the Go config (``libbolt/middleware/protect/``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..auth._route import server_config as auth_server_config
from .ratelimit import route_rate_limits, validate

if TYPE_CHECKING:
    from .._routing.route import Route
    from ..conf import BoltSettings


def protection_config(routes: Sequence[Route], s: BoltSettings) -> dict[str, Any]:
    """Config keys for Go: auth backends and per-route auth, per-route rate limits (the
    ``RATE_LIMIT`` default resolved here), trusted proxies, key bound, test clock."""
    config = auth_server_config(routes)
    default = None
    if s.RATE_LIMIT is not None:
        r = s.RATE_LIMIT
        default = validate(r.get("rps"), r.get("burst"), r.get("key", "ip"), "DJANGO_BOLT['RATE_LIMIT']")
    inherited = [r.extra.get("go_middleware", {}).get("rate_limit") for r in routes]
    limits = route_rate_limits([r.handler for r in routes], default, inherited)
    if limits:
        config["route_rate_limit"] = limits
        config["rate_limit_max_keys"] = s.RATE_LIMIT_MAX_KEYS
    if s.TRUSTED_PROXIES:
        config["trusted_proxies"] = s.TRUSTED_PROXIES
    if s.TEST_CLOCK is not None:
        config["clock_unix"] = s.TEST_CLOCK
    return config
