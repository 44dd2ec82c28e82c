"""Per-route middleware decorators. The work itself runs in Go (``libbolt/middleware``).

CORS is configured globally with django-cors-headers' setting names, read from Django
settings, and per route with ``@cors(...)``::

    # settings.py
    CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    CORS_ALLOW_CREDENTIALS = True

    # api.py
    @api.get("/public")
    @cors(allow_all_origins=True)
    async def public(): ...

Go answers preflights (``OPTIONS`` with ``Access-Control-Request-Method``) for existing
routes without calling Python, and adds the CORS headers to actual responses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.conf import settings as django_settings

from ._django.pymiddleware import DjangoMiddleware, DjangoMiddlewareStack, load_django_middleware
from ._routing.middleware import FUNC_ATTR, SKIP_ATTR, check_entries
from ._runtime.middleware import (
    BaseMiddleware,
    ErrorHandlerMiddleware,
    Middleware,
    MiddlewareProtocol,
    TimingMiddleware,
)
from ._server.ratelimit import rate_limit
from .compression import NO_COMPRESS_ATTR, CompressionConfig
from .exceptions import BoltConfigError
from .logging import LoggingMiddleware

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "BaseMiddleware",
    "CompressionConfig",
    "DjangoMiddleware",
    "DjangoMiddlewareStack",
    "ErrorHandlerMiddleware",
    "LoggingMiddleware",
    "Middleware",
    "MiddlewareProtocol",
    "TimingMiddleware",
    "cors",
    "load_django_middleware",
    "middleware",
    "no_compress",
    "rate_limit",
    "skip_middleware",
]

#: Attribute ``@cors`` sets on the handler function; read when the route table is sent to Go.
CORS_ATTR = "__bolt_cors__"

#: Django setting name -> key of the Go config (libbolt/middleware/cors.go CORSConfig).
SETTINGS = {
    "CORS_ALLOWED_ORIGINS": "allowed_origins",
    "CORS_ALLOWED_ORIGIN_REGEXES": "allowed_origin_regexes",
    "CORS_ALLOW_ALL_ORIGINS": "allow_all_origins",
    "CORS_ALLOW_CREDENTIALS": "allow_credentials",
    "CORS_ALLOW_METHODS": "allow_methods",
    "CORS_ALLOW_HEADERS": "allow_headers",
    "CORS_EXPOSE_HEADERS": "expose_headers",
    "CORS_PREFLIGHT_MAX_AGE": "max_age",
}
_LISTS = ("allowed_origins", "allowed_origin_regexes", "allow_methods", "allow_headers", "expose_headers")
_BOOLS = ("allow_all_origins", "allow_credentials")
_ORIGIN = re.compile(r"^(null|[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]+)$")


def _validate(key: str, value: Any, where: str) -> Any:
    if key in _LISTS:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise BoltConfigError(f"{where}: {key} must be a list of strings, got {value!r}")
        items = list(value)
        if not all(isinstance(v, str) and v for v in items):
            raise BoltConfigError(f"{where}: {key} must be a list of non-empty strings, got {value!r}")
        if key == "allowed_origins":
            for origin in items:
                if not _ORIGIN.match(origin):
                    raise BoltConfigError(
                        f"{where}: origin {origin!r} must look like 'https://example.com[:port]' "
                        "(scheme, host, optional port; no path or trailing slash)"
                    )
        if key == "allowed_origin_regexes":
            for expr in items:
                try:
                    re.compile(expr)
                except re.error as exc:
                    raise BoltConfigError(f"{where}: bad origin regex {expr!r}: {exc}") from None
        return items
    if key in _BOOLS:
        if not isinstance(value, bool):
            raise BoltConfigError(f"{where}: {key} must be True or False, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BoltConfigError(f"{where}: {key} must be a number of seconds >= 0, got {value!r}")
    return value


def cors(
    origins: Sequence[str] | str | None = None,
    methods: Sequence[str] | None = None,
    headers: Sequence[str] | None = None,
    credentials: bool | None = None,
    max_age: int | None = None,
    *,
    allowed_origins: Sequence[str] | None = None,
    allow_all_origins: bool | None = None,
    allowed_origin_regexes: Sequence[str] | None = None,
    allow_credentials: bool | None = None,
    allow_methods: Sequence[str] | None = None,
    allow_headers: Sequence[str] | None = None,
    expose_headers: Sequence[str] | None = None,
) -> Callable[[F], F]:
    """Give one route its own CORS policy; arguments left out keep the global settings.

    Works above or below the route decorator. Origins are ``"scheme://host[:port]"``;
    regexes match from the start of the Origin (as ``re.match``; Go's RE2 syntax).
    With ``allow_credentials`` the request's origin is echoed, never ``*``.

    django-bolt's keywords are accepted too: ``origins`` (a list; ``"*"`` or ``["*"]`` for
    any origin), ``methods``, ``headers``, ``credentials``; giving both names of one
    option is an error.
    """
    for ours, theirs, name in (
        (allowed_origins, origins, "origins"),
        (allow_methods, methods, "methods"),
        (allow_headers, headers, "headers"),
        (allow_credentials, credentials, "credentials"),
    ):
        if ours is not None and theirs is not None:
            raise BoltConfigError(f"@cors: give {name}= or its long name, not both")
    if origins is not None:
        if origins == "*" or (not isinstance(origins, str) and list(origins) == ["*"]):
            allow_all_origins = True if allow_all_origins is None else allow_all_origins
        else:
            allowed_origins = [origins] if isinstance(origins, str) else origins
    allow_methods = methods if allow_methods is None else allow_methods
    allow_headers = headers if allow_headers is None else allow_headers
    allow_credentials = credentials if allow_credentials is None else allow_credentials
    given = {
        "allowed_origins": allowed_origins,
        "allow_all_origins": allow_all_origins,
        "allowed_origin_regexes": allowed_origin_regexes,
        "allow_credentials": allow_credentials,
        "allow_methods": allow_methods,
        "allow_headers": allow_headers,
        "expose_headers": expose_headers,
        "max_age": max_age,
    }
    config = {k: _validate(k, v, "@cors") for k, v in given.items() if v is not None}

    def decorator(func: F) -> F:
        setattr(func, CORS_ATTR, config)
        return func

    return decorator


def no_compress(func: F) -> F:
    """Never compress this route's responses (e.g. bodies that are already compressed, or
    a route whose latency matters more than its size). Works above or below the route
    decorator."""
    setattr(func, NO_COMPRESS_ATTR, True)
    return func


def global_cors(settings: Any = None) -> dict[str, Any] | None:
    """The global policy from Django settings, or ``None`` when no origin is configured."""
    if settings is None:
        settings = django_settings
    config: dict[str, Any] = {}
    for name, key in SETTINGS.items():
        value = getattr(settings, name, None)
        if value is not None:
            config[key] = _validate(key, value, f"settings.{name}")
    enabled = config.get("allowed_origins") or config.get("allowed_origin_regexes") or config.get("allow_all_origins")
    return config if enabled else None


def route_cors(
    handler: Callable[..., Any], global_config: dict[str, Any] | None, inherited: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The policy of one route: its ``@cors`` arguments (else a ``{"type": "cors"}``
    middleware entry of its API or router, ``inherited``) over the global settings."""
    own = getattr(handler, CORS_ATTR, None) or inherited
    if own is None:
        return None
    return {**(global_config or {}), **own}


def middleware(*entries: Any) -> Callable[[F], F]:
    """Run Python middleware around one route, inside the API's and the routers' own:
    middleware classes, ``DjangoMiddleware(...)``, or ``async def mw(request, call_next)``
    functions. Works above or below the route decorator; several ``@middleware`` stack
    (the upper one runs first)."""
    checked = check_entries(
        entries, "@middleware", functions=True, go_builders={"cors": cors, "rate_limit": rate_limit}
    )

    def decorator(func: F) -> F:
        setattr(func, FUNC_ATTR, [*checked, *getattr(func, FUNC_ATTR, [])])
        return func

    return decorator


#: @skip_middleware names that Go's middleware answers to (libbolt/server/chain.go).
GO_MIDDLEWARE = ("cors", "rate_limit", "compression")


def skip_middleware(*names: str) -> Callable[[F], F]:
    """Turn middleware off for one route: ``"cors"``, ``"rate_limit"`` and
    ``"compression"`` (Go's), a Python middleware by its class name, or ``"*"`` for all."""
    if not names or not all(isinstance(n, str) and n for n in names):
        raise BoltConfigError(f"@skip_middleware takes middleware names, got {names!r}")

    def decorator(func: F) -> F:
        setattr(func, SKIP_ATTR, frozenset(getattr(func, SKIP_ATTR, frozenset())) | frozenset(names))
        if "*" in names or "compression" in names:
            setattr(func, NO_COMPRESS_ATTR, True)
        return func

    return decorator


def go_skips(handler: Callable[..., Any]) -> list[str]:
    """The Go middleware ``@skip_middleware`` turned off for this handler (for Go's config)."""
    skipped = getattr(handler, SKIP_ATTR, ())
    return sorted(n for n in skipped if n in GO_MIDDLEWARE or n == "*")
