"""Turning a handler's return value (or exception) into status, content type, headers, body.

The content type travels to Go as a one-byte code; see contentTypes in
libbolt/server/handler.go.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

import msgspec

from .exceptions import HTTPException

logger = logging.getLogger("django_bolt")

CT_NONE, CT_JSON, CT_TEXT, CT_BYTES = 0, 1, 2, 3

# One encoder for the process: msgspec reuses its internal buffer between calls.
json_encode = msgspec.json.Encoder().encode

Encoded = tuple[int, int, bytes, bytes]  # status, content-type code, header block, body

INTERNAL_ERROR = (500, CT_JSON, b"", b'{"detail":"Internal Server Error"}')


def header_block(headers: dict[str, str] | None) -> bytes:
    """Encode headers as Go expects them: ``name\\0value\\0...``."""
    if not headers:
        return b""
    return "\0".join(f"{k}\0{v}" for k, v in headers.items()).encode("latin-1")


def encode_result(result: Any, status: int) -> Encoded:
    """Encode a handler's return value; raises TypeError for values JSON cannot hold."""
    if isinstance(result, str):
        return status, CT_TEXT, b"", result.encode()
    if isinstance(result, (bytes, bytearray, memoryview)):
        return status, CT_BYTES, b"", bytes(result)
    return status, CT_JSON, b"", json_encode(result)


def encode_exception(exc: BaseException, where: str, debug: bool = False) -> Encoded:
    """Map an exception to a response; anything but HTTPException is logged as a 500."""
    if isinstance(exc, HTTPException):
        try:
            return exc.status_code, CT_JSON, header_block(exc.headers), json_encode({"detail": exc.detail})
        except (TypeError, UnicodeEncodeError):
            logger.exception("%s: HTTPException detail or headers could not be encoded", where)
            return INTERNAL_ERROR
    logger.error("%s: unhandled exception", where, exc_info=exc)
    if debug:
        tb = "".join(traceback.format_exception(exc))
        return 500, CT_JSON, b"", json_encode({"detail": "Internal Server Error", "traceback": tb})
    return INTERNAL_ERROR
