"""Turning a handler's return value (or exception) into status, content type, headers, body.

The common content types travel to Go as a one-byte code (``CT_*`` of ``_native.wire``);
anything else goes as a ``content-type`` header.
"""

from __future__ import annotations

import logging
import os
import traceback
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404

from .._native.wire import CONTENT_TYPES, CT_BYTES, CT_FILE, CT_JSON, CT_NONE, CT_STREAM, CT_TEXT
from ..exceptions import HTTPException
from ..responses import FileResponse, Response, StreamingResponse
from .jsonenc import RawJSON, json_encode
from .orm_hints import sync_only_hint

logger = logging.getLogger("django_bolt")

_MEDIA_CODES = {media: code for code, media in CONTENT_TYPES.items()}

Encoded = tuple[int, int, bytes, bytes]  # status, content-type code, header block, body
INTERNAL_ERROR: Encoded = (500, CT_JSON, b"", b'{"detail":"Internal Server Error"}')


class StreamBody(bytes):
    """The (empty) body of a streamed reply's Encoded; carries the response to stream and
    its content-type code."""

    response: StreamingResponse
    ctype: int
    where: str = "streamed response"  # the route, for log lines


def header_block(headers: dict[str, str] | None, extra: list[tuple[str, str]] | None = None) -> bytes:
    """Encode headers as Go expects them: ``name\\0value\\0...`` (Go validates them)."""
    if not headers and not extra:
        return b""
    pairs = [*(headers or {}).items(), *(extra or [])]
    return "\0".join(f"{k}\0{v}" for k, v in pairs).encode("latin-1")


def encode_result(result: Any, status: int) -> Encoded:
    """Encode a handler's return value; raises TypeError for values JSON cannot hold."""
    kind = type(result)
    if kind is dict or kind is list:  # the common case first
        return status, CT_JSON, b"", json_encode(result)
    if kind is RawJSON:
        return status, CT_JSON, b"", bytes(result)
    if isinstance(result, Response):
        return encode_response(result)
    if isinstance(result, str):
        return status, CT_TEXT, b"", result.encode()
    if isinstance(result, (bytes, bytearray, memoryview)):
        return status, CT_BYTES, b"", bytes(result)
    serializer = getattr(kind, "__pydantic_serializer__", None)
    if serializer is not None and hasattr(result, "model_dump"):
        return status, CT_JSON, b"", serializer.to_json(result)
    if kind is tuple and len(result) == 3 and isinstance(result[0], int):
        return _encode_triple(result)
    if _is_django_response(result):
        return _encode_django(result)
    return status, CT_JSON, b"", json_encode(result)


#: Set at start-up from DJANGO_BOLT["FILE_RESPONSE_ROOTS"] (resolved directories), or None.
file_roots: list[str] | None = None

FILE_NOT_FOUND: Encoded = (404, CT_JSON, b"", b'{"detail":"File not found"}')


def encode_file(r: FileResponse) -> Encoded:
    """A FileResponse: checked here, sent by Go (see libbolt/server/files.go)."""
    path = os.path.realpath(r.path)
    if not os.path.isfile(path):
        return FILE_NOT_FOUND
    if file_roots is not None and not any(path.startswith(root + os.sep) for root in file_roots):
        logger.error("FileResponse path %s is outside FILE_RESPONSE_ROOTS; answered 404", path)
        return FILE_NOT_FOUND
    extra = [("set-cookie", c) for c in r.cookies]
    if r.media_type:
        extra.append(("content-type", r.media_type))
    return r.status_code, CT_FILE, header_block(r.headers, extra), path.encode()


def set_file_roots(roots: list[str] | None) -> None:
    global file_roots
    file_roots = None if roots is None else [os.path.realpath(root) for root in roots]


class Prepared(Response):
    """A response already encoded (an ASGI app's reply, or a handler's result with session
    cookies added); passed to Go as it is."""

    def __init__(self, encoded: Encoded) -> None:
        super().__init__(encoded[3], encoded[0])
        self.encoded = encoded


def encode_response(r: Response) -> Encoded:
    if type(r) is Prepared:
        return r.encoded
    if isinstance(r, FileResponse):
        return encode_file(r)
    if isinstance(r, StreamingResponse):
        return encode_stream(r)
    body = r.render()
    media = r.media_type
    code = _MEDIA_CODES.get(media, CT_NONE) if media else CT_NONE
    headers = r.headers
    extra = [("set-cookie", c) for c in r.cookies]
    if media and code == CT_NONE:
        extra.append(("content-type", media))
    return r.status_code, code, header_block(headers, extra), body


def encode_stream(r: StreamingResponse) -> Encoded:
    """The head of a streamed reply; the dispatcher starts the stream (streaming.py)."""
    media = r.media_type
    code = _MEDIA_CODES.get(media, CT_NONE) if media else CT_NONE
    extra = [("set-cookie", c) for c in r.cookies]
    if media and code == CT_NONE:
        extra.append(("content-type", media))
    body = StreamBody()
    body.response = r
    body.ctype = code
    return r.status_code, CT_STREAM, header_block(r.headers, extra), body


def _encode_triple(result: tuple[int, Any, Any]) -> Encoded:
    """``(status, headers, body)`` as django-bolt handlers may return."""
    status, headers, body = result
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    _, code, _, raw = encode_result(body, status)
    return status, code, header_block(None, pairs), raw


def _is_django_response(result: Any) -> bool:
    try:
        from django.http import HttpResponseBase  # noqa: PLC0415 - lazy: only for unusual return values
    except ImportError:  # pragma: no cover - Django is a dependency
        return False
    return isinstance(result, HttpResponseBase)


def _encode_django(response: Any) -> Encoded:
    """A Django HttpResponse passed through as it is (status, headers, cookies, content)."""
    if getattr(response, "streaming", False):
        raise TypeError("Django StreamingHttpResponse is not supported; return the content instead")
    pairs = list(response.items())
    pairs += [("set-cookie", m.OutputString()) for m in response.cookies.values()]
    return response.status_code, CT_NONE, header_block(None, pairs), bytes(response.content)


def encode_exception(exc: BaseException, where: str, debug: bool = False) -> Encoded:
    """Map an exception to a response; anything but HTTPException is logged as a 500."""
    if isinstance(exc, HTTPException) and getattr(exc, "body", None) is not None:
        try:  # HTTPException(body=...): the body as it is, no envelope
            return exc.status_code, CT_JSON, header_block(exc.headers), json_encode(exc.body)
        except (TypeError, UnicodeEncodeError):
            logger.exception("%s: HTTPException body could not be encoded", where)
            return INTERNAL_ERROR
    if isinstance(exc, HTTPException):
        body: dict[str, Any] = {"detail": exc.detail}
        if exc.extra is not None:
            body["extra"] = exc.extra
        try:
            return exc.status_code, CT_JSON, header_block(exc.headers), json_encode(body)
        except (TypeError, UnicodeEncodeError):
            logger.exception("%s: HTTPException detail or headers could not be encoded", where)
            return INTERNAL_ERROR
    django = _encode_django_exception(exc, where)
    if django is not None:
        return django
    hint = sync_only_hint(exc)
    logger.error("%s: %s", where, hint or "unhandled exception", exc_info=exc)
    if debug:
        tb = "".join(traceback.format_exception(exc))
        return 500, CT_JSON, b"", json_encode({"detail": "Internal Server Error", "traceback": tb})
    return INTERNAL_ERROR


NOT_FOUND: Encoded = (404, CT_JSON, b"", b'{"detail":"Not found."}')
SUSPICIOUS: Encoded = (400, CT_JSON, b"", b'{"detail":"Bad Request"}')
security_logger = logging.getLogger("django.security")


def _encode_django_exception(exc: BaseException, where: str) -> Encoded | None:
    """Django's own exceptions mean what they mean under Django, django-ninja and DRF:
    Http404/ObjectDoesNotExist 404, PermissionDenied 403, ValidationError 422,
    SuspiciousOperation 400. None for anything else (a 500)."""
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        # The message ("Product matching query does not exist.") names models and lookups:
        # the client gets the generic reply, as Django's 404 page outside DEBUG.
        return NOT_FOUND
    if isinstance(exc, PermissionDenied):
        detail = str(exc) or "You do not have permission to perform this action."
        return 403, CT_JSON, b"", json_encode({"detail": detail})
    if isinstance(exc, DjangoValidationError):
        return 422, CT_JSON, b"", json_encode({"detail": django_validation_errors(exc)})
    if isinstance(exc, SuspiciousOperation):
        # As Django does: logged on django.security, the client learns nothing of the reason.
        security_logger.warning("%s: %s: %s", where, type(exc).__name__, exc)
        return SUSPICIOUS
    return None


def django_validation_errors(exc: DjangoValidationError) -> list[dict[str, Any]]:
    """A Django ValidationError as 422 entries: one per message, ``loc`` naming the field
    for a dict of errors (``__all__`` errors and plain lists have an empty ``loc``)."""
    entries: list[dict[str, Any]] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            loc = [] if field == "__all__" else [field]
            entries += (_django_entry(e, loc) for e in errors)
    else:
        entries += (_django_entry(e, []) for e in exc.error_list)
    return entries


def _django_entry(error: DjangoValidationError, loc: list[str]) -> dict[str, Any]:
    messages = list(error)  # formats the message with its params
    return {"type": error.code or "validation_error", "loc": loc, "msg": " ".join(str(m) for m in messages)}
