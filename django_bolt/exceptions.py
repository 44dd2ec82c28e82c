"""Exceptions: HTTP errors raised by handlers, and configuration errors raised at start-up.

``raise NotFound("no such item")`` or ``raise HTTPException(404, "no such item")`` answers
``{"detail": "no such item"}`` with that status (plus ``"extra"`` when given).
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any


class BoltConfigError(Exception):
    """Something is wrong with how the API or the server is configured (start-up only)."""


class HTTPException(Exception):
    """An error response: ``status_code``, ``{"detail": detail}``, optional headers and extra."""

    status_code: int = 500

    def __init__(
        self,
        status_code: int | Any | None = None,
        detail: Any = None,
        headers: Mapping[str, str] | None = None,
        extra: dict[str, Any] | list[Any] | None = None,
        body: Any = None,
    ) -> None:
        """``body`` (django-bolt 0.12+) is sent as the whole JSON body instead of the
        ``{"detail": ...}`` envelope (a Struct, model, dict...), with this status and headers."""
        if status_code is not None and not isinstance(status_code, int):
            # NotFound("no such item"): on a subclass the first argument is the detail.
            status_code, detail = None, status_code
        if status_code is not None:
            self.status_code = status_code
        if detail is None or detail == "":
            try:
                detail = HTTPStatus(self.status_code).phrase
            except ValueError:
                detail = "Error"
        super().__init__(self.status_code, detail)
        self.detail = detail
        self.headers = dict(headers) if headers else None
        self.extra = extra
        self.body = body

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, detail={self.detail!r})"


class ClientException(HTTPException):
    status_code = 400


class BadRequest(ClientException):
    status_code = 400


class Unauthorized(ClientException):
    status_code = 401


class Forbidden(ClientException):
    status_code = 403


class NotFound(ClientException):
    status_code = 404


class MethodNotAllowed(ClientException):
    status_code = 405


class NotAcceptable(ClientException):
    status_code = 406


class Conflict(ClientException):
    status_code = 409


class Gone(ClientException):
    status_code = 410


class UnsupportedMediaType(ClientException):
    status_code = 415


class UnprocessableEntity(ClientException):
    status_code = 422


class TooManyRequests(ClientException):
    status_code = 429


class ServerException(HTTPException):
    status_code = 500


class InternalServerError(ServerException):
    status_code = 500


class NotImplemented(ServerException):  # named as in django-bolt (shadows the builtin constant here only)
    status_code = 501


class BadGateway(ServerException):
    status_code = 502


class ServiceUnavailable(ServerException):
    status_code = 503


class GatewayTimeout(ServerException):
    status_code = 504


class RequestValidationError(HTTPException):
    """Request input did not match the handler's types: 422 with one entry per error, each
    ``{"type", "loc", "msg", "input"}`` with ``loc`` like ``["query", "limit"]``."""

    status_code = 422

    def __init__(self, errors: list[dict[str, Any]], *, body: Any = None) -> None:
        super().__init__(422, errors)
        self._errors = errors
        self.body = body

    def errors(self) -> list[dict[str, Any]]:
        return self._errors


class ResponseValidationError(Exception):
    """A handler's return value did not match its response model (a server bug: 500)."""

    def __init__(self, errors: Any) -> None:
        super().__init__(f"response validation failed: {errors}")
        self._errors = errors

    def errors(self) -> Any:
        return self._errors
