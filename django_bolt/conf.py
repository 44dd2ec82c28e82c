"""The ``DJANGO_BOLT`` settings dict: defaults, validation and environment overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any

from django.conf import settings

from ._server.aliases import apply_aliases
from ._server.ratelimit import validate
from ._server.state import check_options, check_url
from .exceptions import BoltConfigError


@dataclass(frozen=True)
class BoltSettings:
    """Every key of ``settings.DJANGO_BOLT``; ``None`` means "use the default"."""

    #: Extra API objects to serve, as dotted paths ("myproj.api.api" or "myproj.api:api"),
    #: in addition to the ``api.py`` of every installed app.
    API: str | list[str] | None = None
    #: Bind address; ``runbolt --host`` overrides it.
    HOST: str = "127.0.0.1"
    #: Bind port (0: a free one); ``runbolt --port`` overrides it.
    PORT: int = 8000
    #: listen(2) backlog (``runbolt --backlog``).
    BACKLOG: int = 1024
    #: Seconds a SIGTERM/SIGINT waits for in-flight requests; then they get 503
    #: (``runbolt --graceful-timeout``).
    GRACEFUL_TIMEOUT: float = 30.0
    #: Seconds a Python handler may run before Go answers 504 and the task is cancelled.
    HANDLER_TIMEOUT: float = 30.0
    #: Largest request body in bytes (413 above); default Django's DATA_UPLOAD_MAX_MEMORY_SIZE.
    MAX_BODY_SIZE: int | None = None
    #: Largest request header block in bytes (431 above).
    MAX_HEADER_BYTES: int = 16 * 1024
    #: Seconds to read a request's headers and body (408 above).
    READ_TIMEOUT: float = 15.0
    #: Seconds to write a response.
    WRITE_TIMEOUT: float = 30.0
    #: Seconds an idle keep-alive connection stays open.
    IDLE_TIMEOUT: float = 75.0
    #: Open connections per process (503 above).
    MAX_CONNECTIONS: int = 10_000
    #: What reads the sockets: "loop" (Linux: libbolt's own epoll loops serve plain
    #: requests; the connections they do not serve go on to fasthttp), "fasthttp", or
    #: "auto" (the default: "loop" on Linux, else "fasthttp"). See docs/architecture.md.
    FRONT_END: str = "auto"
    #: Most request header lines (431 above).
    MAX_HEADERS: int = 100
    #: Longest request target (path and query) in bytes (414 above).
    MAX_URI_BYTES: int = 8 * 1024
    #: Liveness endpoint answered by Go with ``{"status": "ok"}``; ``None`` turns it off.
    HEALTH_PATH: str | None = "/health"
    #: Readiness endpoint running the ``@api.ready_check`` checks (200 or 503); ``None``: off.
    READY_PATH: str | None = "/ready"
    #: Prometheus metrics endpoint answered by Go (docs/observability.md); ``None``: off.
    METRICS_PATH: str | None = "/metrics"
    #: When set, /metrics requires ``Authorization: Bearer <token>`` (401 otherwise).
    METRICS_TOKEN: str | None = None
    #: One access log line per request, written by Go to stderr (JSON; text with --dev).
    ACCESS_LOG: bool = True
    #: Fraction of requests logged, in (0, 1].
    ACCESS_LOG_SAMPLE: float = 1.0
    #: When set, only requests taking at least this many milliseconds are logged.
    ACCESS_LOG_SLOW_MS: int | None = None
    #: Directories that ``FileResponse`` may send files from; ``None`` allows any path (the
    #: handler is then responsible for not sending a path taken from user input).
    FILE_RESPONSE_ROOTS: list[str] | None = None
    #: Worker processes (``runbolt --workers``); ``None`` means one per CPU.
    WORKERS: int | None = None
    #: Event loop: True = uvloop (an error if it is missing), False = asyncio's, None = uvloop
    #: when it is installed.
    UVLOOP: bool | None = None
    #: Rate limit of routes without ``@rate_limit``: ``{"rps": 100, "burst": 200, "key": "ip"}``.
    RATE_LIMIT: dict[str, Any] | None = None
    #: Proxies (addresses or CIDR networks) whose X-Forwarded-For / Forwarded headers give
    #: the client address for rate limiting; from anyone else those headers are ignored.
    TRUSTED_PROXIES: list[str] | None = None
    #: Most rate-limit buckets kept (least recently used ones are dropped).
    RATE_LIMIT_MAX_KEYS: int = 100_000
    #: Internal (this project's tests): freeze the clock of JWT validation and rate limiting
    #: at this Unix time. Accepted, never listed (INTERNAL_KEYS).
    TEST_CLOCK: float | None = None
    #: Threads that run Django's async ORM calls (aget, acount, async for, returned
    #: QuerySets), each with its own connection; ``None``: the default database's pool
    #: ``max_size``, or 4 without a pool (docs/database.md).
    ORM_THREADS: int | None = None
    #: Directory holding the docs UIs' npm packages (those of docs-assets/package.json, as
    #: ``make docs-assets`` installs them); ``None``: the copies
    #: shipped inside the package. Either way Go serves them: /docs works offline.
    DOCS_ASSETS_DIR: str | None = None
    #: Requests that match no API route go to Django's ASGI handler (admin, any URL in
    #: ROOT_URLCONF); False: Go answers 404 (docs/django.md).
    DJANGO_FALLBACK: bool = True
    #: Serve the Django admin through the fallback (``runbolt --no-admin`` turns it off).
    ADMIN: bool = True
    #: Send Django's request_started/request_finished around every API handler.
    DJANGO_SIGNALS: bool = False
    #: Uploaded files up to this many bytes stay in memory; larger ones are spooled to a
    #: temp file (deleted after the reply). Default 1 MiB.
    FILE_UPLOAD_MAX_MEMORY_SIZE: int = 1 << 20
    #: Directory for spooled uploads; ``None``: Django's FILE_UPLOAD_TEMP_DIR, else the system's.
    FILE_UPLOAD_TEMP_DIR: str | None = None
    #: Most file parts in one multipart body (413 above).
    MULTIPART_MAX_FILES: int = 100
    #: Most non-file fields in one form body (413 above).
    MULTIPART_MAX_FIELDS: int = 1000
    #: Shared state store, a Redis URL (``redis://host:6379/0``): rate limits and
    #: ``SharedRevocation`` hold across workers and hosts (docs/deployment.md). ``None``:
    #: per worker.
    STATE: str | None = None
    #: ``{"timeout": 0.25, "rate_limit": "open", "revocation": "closed",
    #: "revocation_cache": 1.0, "pool_size": None}``: per-call timeout (seconds), what each
    #: feature does when Redis fails, how long a "not revoked" answer is reused.
    STATE_OPTIONS: dict[str, Any] | None = None
    #: "thread": plain ``def`` handlers run in a thread pool (django-bolt projects) instead
    #: of being a start-up error; a warning counts them.
    SYNC_HANDLERS: str | None = None
    #: Open WebSocket connections per process (503 above); they count toward MAX_CONNECTIONS.
    WS_MAX_CONNECTIONS: int = 10_000
    #: Largest WebSocket message in bytes (the socket is closed with 1009 above).
    WS_MAX_MESSAGE_SIZE: int = 1 << 20
    #: Seconds between Go's pings to a silent WebSocket peer.
    WS_HEARTBEAT_INTERVAL: float = 20.0
    #: Seconds a WebSocket peer may stay silent (no frame, no pong) before it is dropped.
    WS_CLIENT_TIMEOUT: float = 60.0
    #: A query parameter whose value a WebSocket upgrade without an Authorization header
    #: presents as ``Bearer <value>`` to auth (for clients that cannot set headers); None: off.
    WS_QUERY_TOKEN: str | None = None
    #: Offer permessage-deflate (RFC 7692, no context takeover) to WebSocket clients that
    #: ask for it; off by default (CPU per message for bandwidth).
    WS_COMPRESSION: bool = False
    #: Bytes of request bodies held in memory at once, across the process; a body that
    #: would go past it gets 503 with Retry-After (docs/reliability.md).
    MAX_INFLIGHT_BODY: int = 128 << 20
    #: The docs pages load their JavaScript and CSS from the public CDN (jsdelivr, pinned
    #: versions) instead of from this server; off by default: /docs works with no internet.
    DOCS_CDN: bool = False
    #: Seconds of ``Cache-Control: public, max-age=N`` on STATIC_URL files served by Go;
    #: ``None``: no Cache-Control (django-bolt's BOLT_STATIC_MAX_AGE).
    STATIC_MAX_AGE: int | None = None
    #: Seconds of ``Cache-Control: private, max-age=N`` on MEDIA_URL files (uploads, served
    #: by Go from MEDIA_ROOT); ``None``: no Cache-Control (django-bolt's BOLT_MEDIA_MAX_AGE).
    MEDIA_MAX_AGE: int | None = None


_TYPES: dict[str, tuple[type, ...]] = {
    "API": (str, list, type(None)),
    "HOST": (str,),
    "PORT": (int,),
    "BACKLOG": (int,),
    "GRACEFUL_TIMEOUT": (int, float),
    "HANDLER_TIMEOUT": (int, float),
    "MAX_BODY_SIZE": (int, type(None)),
    "MAX_HEADER_BYTES": (int,),
    "READ_TIMEOUT": (int, float),
    "WRITE_TIMEOUT": (int, float),
    "IDLE_TIMEOUT": (int, float),
    "MAX_CONNECTIONS": (int,),
    "FRONT_END": (str,),
    "MAX_HEADERS": (int,),
    "MAX_URI_BYTES": (int,),
    "HEALTH_PATH": (str, type(None)),
    "READY_PATH": (str, type(None)),
    "METRICS_PATH": (str, type(None)),
    "METRICS_TOKEN": (str, type(None)),
    "ACCESS_LOG": (bool,),
    "ACCESS_LOG_SAMPLE": (int, float),
    "ACCESS_LOG_SLOW_MS": (int, type(None)),
    "FILE_RESPONSE_ROOTS": (list, type(None)),
    "WORKERS": (int, type(None)),
    "UVLOOP": (bool, type(None)),
    "RATE_LIMIT": (dict, type(None)),
    "TRUSTED_PROXIES": (list, type(None)),
    "RATE_LIMIT_MAX_KEYS": (int,),
    "TEST_CLOCK": (int, float, type(None)),
    "ORM_THREADS": (int, type(None)),
    "DOCS_ASSETS_DIR": (str, type(None)),
    "DOCS_CDN": (bool,),
    "DJANGO_FALLBACK": (bool,),
    "ADMIN": (bool,),
    "MAX_INFLIGHT_BODY": (int,),
    "DJANGO_SIGNALS": (bool,),
    "FILE_UPLOAD_MAX_MEMORY_SIZE": (int,),
    "FILE_UPLOAD_TEMP_DIR": (str, type(None)),
    "MULTIPART_MAX_FILES": (int,),
    "MULTIPART_MAX_FIELDS": (int,),
    "STATE": (str, type(None)),
    "STATE_OPTIONS": (dict, type(None)),
    "SYNC_HANDLERS": (str, type(None)),
    "WS_MAX_CONNECTIONS": (int,),
    "WS_MAX_MESSAGE_SIZE": (int,),
    "WS_HEARTBEAT_INTERVAL": (int, float),
    "WS_CLIENT_TIMEOUT": (int, float),
    "WS_QUERY_TOKEN": (str, type(None)),
    "STATIC_MAX_AGE": (int, type(None)),
    "MEDIA_MAX_AGE": (int, type(None)),
    "WS_COMPRESSION": (bool,),
}
#: Numeric keys for which 0 is a meaningful value (max-age=0: revalidate every time).
_ZERO_OK = frozenset({"STATIC_MAX_AGE", "MEDIA_MAX_AGE"})
#: Keys for this project's own tests: accepted, but not listed in errors or the README table.
INTERNAL_KEYS = frozenset({"TEST_CLOCK"})
#: The keys offered to users (the README's settings table is generated from them).
VALID_KEYS = tuple(f.name for f in fields(BoltSettings) if f.name not in INTERNAL_KEYS)
#: Environment variables that override a key.
ENV_OVERRIDES: dict[str, str] = {}
_ENV = {
    "DJANGO_BOLT_HOST": "HOST",
    "DJANGO_BOLT_PORT": "PORT",
    "DJANGO_BOLT_WORKERS": "WORKERS",
    "DJANGO_BOLT_UVLOOP": "UVLOOP",
    "DJANGO_BOLT_GRACEFUL_TIMEOUT": "GRACEFUL_TIMEOUT",
    "DJANGO_BOLT_DOCS_ASSETS_DIR": "DOCS_ASSETS_DIR",
    "DJANGO_BOLT_STATE": "STATE",
    "DJANGO_BOLT_KEEP_ALIVE": "IDLE_TIMEOUT",  # django-bolt's variable (runbolt --keep-alive)
}
ENV_OVERRIDES.update({key: var for var, key in _ENV.items()})
_BOOLS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _check(key: str, value: Any) -> None:
    types = _TYPES[key]
    if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
        names = " or ".join(t.__name__ for t in types)
        raise BoltConfigError(f"DJANGO_BOLT[{key!r}] must be {names}, got {value!r}")
    if key in _ZERO_OK and isinstance(value, int) and not isinstance(value, bool) and value < 0:
        raise BoltConfigError(f"DJANGO_BOLT[{key!r}] must be a number of seconds >= 0, got {value!r}")
    if (
        key != "PORT"
        and key not in _ZERO_OK
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
        and value <= 0
    ):
        raise BoltConfigError(f"DJANGO_BOLT[{key!r}] must be positive, got {value!r}")
    if key == "PORT" and isinstance(value, int) and not 0 <= value <= 65535:
        raise BoltConfigError(f"DJANGO_BOLT['PORT'] must be 0-65535, got {value!r}")
    if key == "FILE_UPLOAD_TEMP_DIR" and isinstance(value, str) and not os.path.isdir(value):
        raise BoltConfigError(f"DJANGO_BOLT['FILE_UPLOAD_TEMP_DIR'] must be an existing directory, got {value!r}")
    if key == "FILE_RESPONSE_ROOTS" and isinstance(value, list) and not all(isinstance(v, str) for v in value):
        raise BoltConfigError(f"DJANGO_BOLT['FILE_RESPONSE_ROOTS'] must be a list of directory paths, got {value!r}")
    if key == "RATE_LIMIT" and isinstance(value, dict):
        unknown = set(value) - {"rps", "burst", "key"}
        if unknown:
            raise BoltConfigError(
                f"DJANGO_BOLT['RATE_LIMIT'] has unknown key(s) {sorted(unknown)}; use rps, burst, key"
            )
        validate(value.get("rps"), value.get("burst"), value.get("key", "ip"), "DJANGO_BOLT['RATE_LIMIT']")
    if key == "TRUSTED_PROXIES" and isinstance(value, list) and not all(isinstance(v, str) for v in value):
        raise BoltConfigError(f"DJANGO_BOLT['TRUSTED_PROXIES'] must be a list of addresses or networks, got {value!r}")
    if (
        key in ("HEALTH_PATH", "READY_PATH", "METRICS_PATH")
        and isinstance(value, str)
        and (not value.startswith("/") or any(c in value for c in "?#{} "))
    ):
        raise BoltConfigError(f"DJANGO_BOLT[{key!r}] must be a plain path starting with '/' or None, got {value!r}")
    if key == "ACCESS_LOG_SAMPLE" and isinstance(value, (int, float)) and value > 1:
        raise BoltConfigError(f"DJANGO_BOLT['ACCESS_LOG_SAMPLE'] must be in (0, 1], got {value!r}")
    if key == "STATE" and isinstance(value, str):
        check_url(value)
    if key == "STATE_OPTIONS" and isinstance(value, dict):
        check_options(value)
    if key == "SYNC_HANDLERS" and value not in ("thread", "error", None):
        raise BoltConfigError(f"DJANGO_BOLT['SYNC_HANDLERS'] must be 'thread', 'error' or None, got {value!r}")
    if key == "FRONT_END" and value not in ("auto", "loop", "fasthttp"):
        raise BoltConfigError(f"DJANGO_BOLT['FRONT_END'] must be 'auto', 'loop' or 'fasthttp', got {value!r}")
    if key == "METRICS_TOKEN" and isinstance(value, str) and (not value or any(c.isspace() for c in value)):
        raise BoltConfigError("DJANGO_BOLT['METRICS_TOKEN'] must be a non-empty string without whitespace")


def _from_env(key: str, text: str) -> Any:
    if key == "UVLOOP":
        return _BOOLS[text.strip().lower()]
    if key in ("GRACEFUL_TIMEOUT", "IDLE_TIMEOUT"):
        return float(text)
    return int(text) if key in ("PORT", "WORKERS") else text


def load_settings(raw: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> BoltSettings:
    """Validate ``settings.DJANGO_BOLT`` (or ``raw``) and apply environment overrides."""
    if raw is None:
        raw = getattr(settings, "DJANGO_BOLT", {}) or {}
        if isinstance(raw, dict):
            raw = apply_aliases(settings, raw)  # django-bolt's BOLT_* names
        if raw.get("MAX_BODY_SIZE") is None and getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None):
            raw = {**raw, "MAX_BODY_SIZE": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        if raw.get("FILE_UPLOAD_TEMP_DIR") is None and getattr(settings, "FILE_UPLOAD_TEMP_DIR", None):
            raw = {**raw, "FILE_UPLOAD_TEMP_DIR": str(settings.FILE_UPLOAD_TEMP_DIR)}
    if not isinstance(raw, dict):
        raise BoltConfigError(f"settings.DJANGO_BOLT must be a dict, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(VALID_KEYS) - INTERNAL_KEYS)
    if unknown:
        raise BoltConfigError(
            f"unknown DJANGO_BOLT key(s) {', '.join(unknown)}; valid keys are: {', '.join(VALID_KEYS)}"
        )
    values = dict(raw)
    env = os.environ if environ is None else environ
    for var, key in _ENV.items():
        if env.get(var):
            try:
                values[key] = _from_env(key, env[var])
            except (ValueError, KeyError):
                kind = {
                    "UVLOOP": "1 or 0",
                    "GRACEFUL_TIMEOUT": "a number of seconds",
                    "IDLE_TIMEOUT": "a number of seconds",
                }.get(key, "an integer")
                raise BoltConfigError(f"{var} must be {kind}, got {env[var]!r}") from None
    for key, value in values.items():
        if value is not None or key in ("API", "MAX_BODY_SIZE"):
            _check(key, value)
    return BoltSettings(**values)


def sync_handlers_mode() -> str | None:
    """``DJANGO_BOLT["SYNC_HANDLERS"]`` as read at registration (handlers are registered
    when api.py is imported, before the settings are loaded whole)."""
    if not settings.configured:
        return None
    raw = getattr(settings, "DJANGO_BOLT", None) or {}
    mode = raw.get("SYNC_HANDLERS") if isinstance(raw, dict) else None
    _check("SYNC_HANDLERS", mode)
    return mode
