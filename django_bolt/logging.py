"""django-bolt's logging API, mapped onto ours.

Per-request access logs are written by Go (``libbolt/accesslog``), configured with the
``DJANGO_BOLT["ACCESS_LOG"]``, ``ACCESS_LOG_SAMPLE`` and ``ACCESS_LOG_SLOW_MS`` settings
(django-bolt's ``DJANGO_BOLT_LOG_*`` settings are read as aliases of those). What a
django-bolt project writes still works:

- ``BoltAPI(enable_logging=False)`` on every API turns Go's access log off; the first
  ``logging_config``'s ``sample_rate`` and ``min_duration_ms`` set its sampling and its
  slow-request threshold (``_server/observe.py``).
- ``LoggingMiddleware`` is a Python middleware that logs each request of the routes it is
  given to (``BoltAPI(middleware=[LoggingMiddleware])``) through the ``logging`` module, as
  django-bolt's does; ``create_logging_middleware(**config)`` makes one with its own
  ``LoggingConfig``.
"""

from __future__ import annotations

import logging as _logging
import random
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._runtime.middleware import BaseMiddleware, GetResponse
from .exceptions import BoltConfigError
from .request import Request
from .responses import Response

__all__ = ["LoggingConfig", "LoggingMiddleware", "check_logging_config", "create_logging_middleware"]


@dataclass
class LoggingConfig:
    """What ``LoggingMiddleware`` logs (django-bolt's field names and defaults)."""

    logger_name: str = "django.server"
    request_log_fields: set[str] = field(default_factory=lambda: {"method", "path", "status_code"})
    response_log_fields: set[str] = field(default_factory=lambda: {"status_code"})
    obfuscate_headers: set[str] = field(default_factory=lambda: {"authorization", "cookie", "x-api-key"})
    obfuscate_cookies: set[str] = field(default_factory=lambda: {"sessionid", "csrftoken"})
    log_request_body: bool = False
    log_response_body: bool = False
    max_body_log_size: int = 1024
    log_level: str = "INFO"
    error_log_level: str = "ERROR"
    exception_logging_handler: Any = None
    skip_paths: set[str] = field(default_factory=lambda: {"/health", "/ready", "/metrics"})
    skip_status_codes: set[int] = field(default_factory=set)
    sample_rate: float | None = None
    min_duration_ms: float | None = None

    def __post_init__(self) -> None:
        for name in ("log_level", "error_log_level"):
            level = getattr(self, name)
            if not isinstance(_logging.getLevelName(level), int):
                raise BoltConfigError(f"LoggingConfig.{name}: unknown level {level!r}")
        if self.sample_rate is not None and not 0.0 <= self.sample_rate <= 1.0:
            raise BoltConfigError(f"LoggingConfig.sample_rate must be within 0..1, got {self.sample_rate!r}")

    def get_logger(self) -> _logging.Logger:
        return _logging.getLogger(self.logger_name)


def check_logging_config(config: Any) -> LoggingConfig | None:
    """``BoltAPI(logging_config=...)``: None or a LoggingConfig."""
    if config is not None and not isinstance(config, LoggingConfig):
        raise BoltConfigError(f"logging_config must be a LoggingConfig, got {config!r}")
    return config


class LoggingMiddleware(BaseMiddleware):
    """Logs ``METHOD path status duration`` for each request (errors at ``error_log_level``
    with the traceback, re-raised for the usual answer)."""

    config: ClassVar[LoggingConfig] = LoggingConfig()

    def __init__(self, get_response: GetResponse) -> None:
        super().__init__(get_response)
        config = self.config
        self.logger = config.get_logger()
        self.level = _logging.getLevelName(config.log_level)
        self.error_level = _logging.getLevelName(config.error_log_level)

    async def process_request(self, request: Request) -> Response:
        config = self.config
        path = request.path
        if path in config.skip_paths:
            return await self.get_response(request)
        start = time.perf_counter()
        try:
            response = await self.get_response(request)
        except Exception:
            self.logger.log(self.error_level, "%s %s raised", request.method, path, exc_info=True)
            raise
        ms = (time.perf_counter() - start) * 1000
        if response.status_code in config.skip_status_codes:
            return response
        if config.min_duration_ms is not None and ms < config.min_duration_ms:
            return response
        if config.sample_rate is not None and random.random() >= config.sample_rate:  # noqa: S311 - sampling, not security
            return response
        level = self.error_level if response.status_code >= 500 else self.level
        self.logger.log(level, "%s %s %d %.2fms", request.method, path, response.status_code, ms)
        return response


def create_logging_middleware(config: LoggingConfig | None = None, **options: Any) -> type[LoggingMiddleware]:
    """A LoggingMiddleware class with its own config (``LoggingConfig(**options)`` unless
    ``config`` is given)."""
    own = config if config is not None else LoggingConfig(**options)
    return type("LoggingMiddleware", (LoggingMiddleware,), {"config": own})
