"""Exceptions: HTTP errors raised by handlers, and configuration errors raised at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any


class BoltConfigError(Exception):
    """Something is wrong with how the API or the server is configured (start-up only)."""


class HTTPException(Exception):
    """Raise to answer with ``status_code`` and a JSON body ``{"detail": detail}``."""

    def __init__(
        self,
        status_code: int,
        detail: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if detail is None:
            try:
                detail = HTTPStatus(status_code).phrase
            except ValueError:
                detail = "Error"
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = dict(headers) if headers else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, detail={self.detail!r})"


class RequestValidationError(HTTPException):
    """Request input did not match the handler's types: 422 with one entry per error."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(422, errors)
        self.errors = errors
