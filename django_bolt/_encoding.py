"""Turning a handler's return value (or exception) into status, content type, headers, body.

The content type travels to Go as a one-byte code; see contentTypes in
libbolt/server/handler.go. Anything else goes as a ``content-type`` header.
"""

from __future__ import annotations

import logging
import os
import traceback
import typing
from collections.abc import Callable
from typing import Any

import msgspec

from .exceptions import HTTPException, ResponseValidationError
from .responses import FileResponse, Response, StreamingResponse

logger = logging.getLogger("django_bolt")

CT_NONE, CT_JSON, CT_TEXT, CT_BYTES, CT_HTML = 0, 1, 2, 3, 4
#: Never sent: marks an Encoded whose body is a file path (a KindFile record, Go sends the file).
CT_FILE = 255
#: Never sent: marks an Encoded whose body is a StreamBody (a streamed reply, _streaming.py).
CT_STREAM = 254
_MEDIA_CODES = {
    "application/json": CT_JSON,
    "text/plain; charset=utf-8": CT_TEXT,
    "application/octet-stream": CT_BYTES,
    "text/html; charset=utf-8": CT_HTML,
}

Encoded = tuple[int, int, bytes, bytes]  # status, content-type code, header block, body
INTERNAL_ERROR: Encoded = (500, CT_JSON, b"", b'{"detail":"Internal Server Error"}')


class RawJSON(bytes):
    """Bytes that already are JSON (e.g. produced by pydantic-core)."""


class StreamBody(bytes):
    """The (empty) body of a streamed reply's Encoded; carries the response to stream and
    its content-type code."""

    response: StreamingResponse
    ctype: int
    where: str = "streamed response"  # the route, for log lines


def _enc_hook(obj: Any) -> Any:
    """Types msgspec does not know natively (called only for those)."""
    dump = getattr(obj, "model_dump", None)
    if dump is not None and hasattr(type(obj), "__pydantic_serializer__"):
        return dump(mode="json")
    raise NotImplementedError(f"objects of type {type(obj).__name__} are not JSON serialisable")


# One encoder for the process: msgspec reuses its internal buffer between calls.
json_encode = msgspec.json.Encoder(enc_hook=_enc_hook).encode


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
    """The head of a streamed reply; the dispatcher starts the stream (_streaming.py)."""
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
        from django.http import HttpResponseBase
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
    if isinstance(exc, HTTPException):
        body: dict[str, Any] = {"detail": exc.detail}
        if exc.extra is not None:
            body["extra"] = exc.extra
        try:
            return exc.status_code, CT_JSON, header_block(exc.headers), json_encode(body)
        except (TypeError, UnicodeEncodeError):
            logger.exception("%s: HTTPException detail or headers could not be encoded", where)
            return INTERNAL_ERROR
    from ._orm import sync_only_hint

    hint = sync_only_hint(exc)
    logger.error("%s: %s", where, hint or "unhandled exception", exc_info=exc)
    if debug:
        tb = "".join(traceback.format_exception(exc))
        return 500, CT_JSON, b"", json_encode({"detail": "Internal Server Error", "traceback": tb})
    return INTERNAL_ERROR


# ---- response models (compiled at registration) -------------------------------------------


def _is_model_type(tp: Any) -> bool:
    from ._params import is_model, list_item

    if is_model(tp):
        return True
    item = list_item(tp)
    return item is not None and is_model(item)


def response_model_from(func: Callable[..., Any], response_model: Any) -> Any:
    """``response_model=`` if given, else the return annotation when it names a model."""
    if response_model is not None:
        return response_model
    try:
        ret = typing.get_type_hints(func).get("return")
    except NameError:
        return None
    return ret if ret is not None and _is_model_type(ret) else None


def output_converter(model: Any) -> Callable[[Any], Any]:
    """Validate and shape a return value with ``model``: only declared fields leave."""
    from ._params import is_pydantic_model, list_item

    item = list_item(model)
    if is_pydantic_model(model) or (item is not None and is_pydantic_model(item)):
        from pydantic import TypeAdapter, ValidationError

        adapter: Any = TypeAdapter(model)

        def to_pydantic(value: Any) -> Any:
            if isinstance(value, Response):
                return value
            try:
                return RawJSON(adapter.dump_json(adapter.validate_python(value, from_attributes=True)))
            except ValidationError as exc:
                raise ResponseValidationError(exc.errors(include_url=False)) from exc

        return to_pydantic

    def to_msgspec(value: Any) -> Any:
        if isinstance(value, Response):
            return value
        try:
            return msgspec.convert(value, model, from_attributes=True)
        except msgspec.ValidationError as exc:
            raise ResponseValidationError(str(exc)) from exc

    return to_msgspec
