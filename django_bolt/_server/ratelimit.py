"""``@rate_limit``: a token bucket per client and route, counted in Go
(``libbolt/middleware/ratelimit.go``) before the handler runs."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

from ..exceptions import BoltConfigError

F = TypeVar("F", bound=Callable[..., Any])

#: Attribute ``@rate_limit`` sets on the handler function; read when the config is built.
RATE_LIMIT_ATTR = "__bolt_rate_limit__"
#: Attribute ``@skip_middleware`` sets (``_routing/middleware.SKIP_ATTR``; repeated here so
#: this module stays importable before the routing package).
SKIP_ATTR = "__bolt_skip_middleware__"
_HEADER = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def validate(rps: Any, burst: Any, key: Any, where: str) -> dict[str, Any]:
    """The Go config of one limit, or a start-up error saying what is wrong."""
    if isinstance(rps, bool) or not isinstance(rps, (int, float)) or not rps > 0 or math.isinf(rps):
        raise BoltConfigError(f"{where}: rps must be a positive number of requests per second, got {rps!r}")
    if burst is not None and (isinstance(burst, bool) or not isinstance(burst, int) or burst < 1):
        raise BoltConfigError(f"{where}: burst must be an integer >= 1, got {burst!r}")
    if not isinstance(key, str) or not _HEADER.match(key):
        raise BoltConfigError(f"{where}: key must be 'ip', 'user' or a header name, got {key!r}")
    config: dict[str, Any] = {"rps": rps, "key": key.lower()}
    if burst is not None:
        config["burst"] = burst
    return config


def rate_limit(rps: float = 100, burst: int | None = None, key: str = "ip") -> Callable[[F], F]:
    """Limit one route to ``rps`` requests per second per client, with bursts of up to
    ``burst`` (default ``2 * rps``, as in django-bolt). ``key``: ``"ip"`` (the client address; behind a
    proxy listed in ``TRUSTED_PROXIES`` the forwarded one), ``"user"`` (the authenticated
    user, else the address), ``"api_key"`` (the ``X-API-Key`` header) or a header name. Over the limit: 429
    with ``Retry-After``. Works above or below the route decorator."""
    if key == "api_key":  # django-bolt's name for the client's API key
        key = "x-api-key"
    config = validate(rps, burst, key, "@rate_limit")
    config.setdefault("burst", max(1, math.ceil(2 * rps)))

    def decorator(func: F) -> F:
        setattr(func, RATE_LIMIT_ATTR, config)
        return func

    return decorator


def route_rate_limits(
    handlers: list[Callable[..., Any]],
    default: dict[str, Any] | None,
    inherited: list[dict[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """Route id -> limit: the route's own, else its API's or router's (a ``{"type":
    "rate_limit"}`` middleware entry, ``inherited``), else the ``RATE_LIMIT`` setting."""
    out: dict[str, Any] = {}
    for i, handler in enumerate(handlers):
        skipped = getattr(handler, SKIP_ATTR, ())
        if "rate_limit" in skipped or "*" in skipped:  # @skip_middleware
            continue
        config = getattr(handler, RATE_LIMIT_ATTR, None) or (inherited[i] if inherited else None) or default
        if config is not None:
            out[str(i)] = config
    return out
