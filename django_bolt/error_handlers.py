"""django-bolt's error-handling helpers, on top of ours: each returns
``(status, headers, body)`` as django-bolt's do, with the body the JSON bytes Go sends.

The wire format is the one every error here has: ``{"detail": ...}`` (plus ``extra``),
validation errors as a 422 list of ``{"type", "loc", "msg", "input"}``, anything else a 500
``{"detail": "Internal Server Error"}`` (with the traceback when ``debug``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from django.conf import settings

from ._routing.validation import msgspec_error
from ._runtime.encoding import encode_exception
from ._runtime.jsonenc import json_encode
from .exceptions import HTTPException, RequestValidationError, ResponseValidationError

__all__ = [
    "format_error_response",
    "generic_exception_handler",
    "handle_exception",
    "http_exception_handler",
    "msgspec_validation_error_to_dict",
    "request_validation_error_handler",
    "response_validation_error_handler",
]

Triple = tuple[int, list[tuple[str, str]], bytes]


def _triple(encoded: tuple[int, int, bytes, bytes]) -> Triple:
    status, _ctype, block, body = encoded
    items = block.decode("latin-1").split("\0") if block else []
    headers = [("content-type", "application/json"), *zip(items[::2], items[1::2])]
    return status, headers, body


def format_error_response(
    status_code: int, detail: Any, headers: dict[str, str] | None = None, extra: Any = None
) -> Triple:
    """An error reply: ``{"detail": detail}`` (plus ``"extra"`` when given)."""
    body: dict[str, Any] = {"detail": detail}
    if extra is not None:
        body["extra"] = extra
    return status_code, [("content-type", "application/json"), *(headers or {}).items()], json_encode(body)


def http_exception_handler(exc: HTTPException) -> Triple:
    return _triple(encode_exception(exc, "http_exception_handler"))


def request_validation_error_handler(exc: RequestValidationError) -> Triple:
    return _triple(encode_exception(exc, "request_validation_error_handler"))


def response_validation_error_handler(exc: ResponseValidationError) -> Triple:
    """A response that failed its model is the server's fault: logged, answered 500."""
    return format_error_response(500, "Internal Server Error")


def generic_exception_handler(exc: BaseException, debug: bool = False, request: Any = None) -> Triple:
    """A 500 for an unexpected exception (logged with its traceback)."""
    return _triple(encode_exception(exc, "generic_exception_handler", debug))


def handle_exception(exc: BaseException, debug: bool | None = None, request: Any = None) -> Triple:
    """The reply for any exception; ``debug`` defaults to ``settings.DEBUG``."""
    if debug is None:
        debug = bool(getattr(settings, "DEBUG", False)) if settings.configured else False
    if isinstance(exc, ResponseValidationError):
        return response_validation_error_handler(exc)
    return _triple(encode_exception(exc, "handle_exception", debug))


def msgspec_validation_error_to_dict(error: msgspec.ValidationError, loc_prefix: str = "body") -> list[dict[str, Any]]:
    """A msgspec validation error as the entries of a 422 ``detail`` list."""
    return [msgspec_error([loc_prefix], error)]
