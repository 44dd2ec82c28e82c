"""Route decorators, gathered where django-bolt users import them from."""

from __future__ import annotations

from ._server.ratelimit import rate_limit
from .middleware import cors, middleware, no_compress, skip_middleware

__all__ = ["cors", "middleware", "no_compress", "rate_limit", "skip_middleware"]
