"""Typed streams: ``SSE[T]`` and ``JSONL[T]`` return annotations.

A generator handler annotated with one of them streams its items, each validated as ``T``
and encoded with msgspec (or Pydantic, for a Pydantic model), as Server-Sent Events
(``text/event-stream``, one event per item, the item's JSON as its data) or JSON Lines
(``application/jsonl``, one JSON document per line). The OpenAPI document gives the
stream's media type and the item's schema::

    from django_bolt.streams import JSONL, SSE, LastEventID

    class Tick(msgspec.Struct):
        n: int

    @api.get("/ticks")
    async def ticks(last_event_id: LastEventID = None) -> SSE[Tick]:
        start = int(last_event_id) + 1 if last_event_id else 0
        for n in range(start, start + 3):
            yield ServerSentEvent(data=Tick(n=n), id=n)  # or plain Tick(n=n): data only

    @api.get("/rows")
    async def rows() -> JSONL[Tick]:
        for n in range(3):
            yield {"n": n}  # validated and encoded as Tick

Resuming: a browser's ``EventSource`` that lost its connection reconnects with the id of
the last event it received in a ``Last-Event-ID`` header; ``LastEventID`` is that header
as an optional ``str`` parameter (``Annotated[int | None, Header(alias="Last-Event-ID")]``
when the ids are numbers), so the handler starts after it.

Handlers may also be plain ``async def`` functions that return an iterable (sync or async)
of items; a returned ``Response`` is sent as it is. The first item is taken before the
response starts: an ``HTTPException`` raised before it (a permission check) is answered
with its status, and an invalid first item with a 500. A later item that does not match
``T`` ends the stream: it is logged (with the validation error) and the connection is
closed after what was sent, as for any exception in a streaming generator.

To a type checker ``SSE[T]`` and ``JSONL[T]`` are ``AsyncIterator[T]``, so an
``async def`` with ``yield`` annotated with them type-checks.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from ._routing.plans import is_pydantic_model
from ._runtime.jsonenc import json_encode
from ._runtime.streaming import _source
from .exceptions import BoltConfigError, ResponseValidationError
from .params import Header
from .responses import EventSourceResponse, Response, ServerSentEvent, StreamingResponse

__all__ = ["JSONL", "SSE", "JSONLResponse", "LastEventID", "TypedStream", "stream_of"]

#: The ``Last-Event-ID`` request header (what a reconnecting EventSource sends), or None.
LastEventID = Annotated[str | None, Header(None, alias="Last-Event-ID")]


class JSONLResponse(StreamingResponse):
    """JSON Lines (``application/jsonl``): the generator yields ready lines (bytes)."""

    media_type = "application/jsonl"


class TypedStream:
    """Base of ``SSE[T]`` and ``JSONL[T]``: ``SSE[T]`` is a subclass with ``item`` = T."""

    item: Any = None
    media_type = ""

    def __class_getitem__(cls, item: Any) -> Any:
        made = _MADE.get((cls, item))
        if made is None:
            if item is Any or cls.item is not None:
                raise TypeError(f"{cls.__name__}[T] needs one item type, got {item!r}")
            name = getattr(item, "__name__", repr(item))
            made = _MADE[(cls, item)] = type(
                f"{cls.__name__}[{name}]", (cls,), {"item": item, "__module__": cls.__module__}
            )
        return made


#: (SSE or JSONL, T) -> SSE[T]: one class per pair, so that SSE[T] is SSE[T].
_MADE: dict[tuple[type[TypedStream], Any], type[TypedStream]] = {}


if TYPE_CHECKING:  # a type checker sees the iterator that the generator handler is
    SSE = AsyncIterator
    JSONL = AsyncIterator
else:

    class SSE(TypedStream):
        """``-> SSE[T]``: Server-Sent Events whose data is T as JSON."""

        media_type = "text/event-stream"

    class JSONL(TypedStream):
        """``-> JSONL[T]``: JSON Lines, one T per line."""

        media_type = "application/jsonl"


def stream_of(func: Callable[..., Any]) -> type[TypedStream] | None:
    """The ``SSE[T]`` / ``JSONL[T]`` a handler's return annotation names, else None."""
    if "return" not in getattr(func, "__annotations__", {}):
        return None
    try:
        ret = typing.get_type_hints(func).get("return")
    except (NameError, TypeError):
        return None
    if isinstance(ret, type) and issubclass(ret, TypedStream) and ret.item is not None:
        return ret
    return None


def _encoder(item_type: Any) -> Callable[[Any], bytes]:
    """Validate one item as ``item_type`` and return its JSON."""
    if is_pydantic_model(item_type):

        def pydantic_json(item: Any) -> bytes:
            from pydantic import ValidationError  # noqa: PLC0415 - only for Pydantic item types

            try:
                value = item if type(item) is item_type else item_type.model_validate(item, from_attributes=True)
            except ValidationError as exc:
                raise ResponseValidationError(exc.errors(include_url=False)) from exc
            return value.model_dump_json().encode()  # type: ignore[no-any-return]

        return pydantic_json

    def msgspec_json(item: Any) -> bytes:
        # Through builtins, so a Struct instance whose fields hold the wrong types (Struct
        # constructors do not check them) is refused too.
        try:
            value = msgspec.convert(msgspec.to_builtins(item), item_type)
        except (msgspec.ValidationError, TypeError) as exc:
            raise ResponseValidationError([{"type": "value_error", "loc": ["item"], "msg": str(exc)}]) from exc
        return json_encode(value)

    return msgspec_json


def _sse_event(item: Any, encode: Callable[[Any], bytes]) -> ServerSentEvent:
    if isinstance(item, ServerSentEvent):
        if item.data is None:  # a comment, retry or id only
            return item
        return ServerSentEvent(encode(item.data).decode(), item.event, item.id, item.retry, item.comment)
    return ServerSentEvent(encode(item).decode())


def _jsonl_line(item: Any, encode: Callable[[Any], bytes]) -> bytes:
    return encode(item) + b"\n"


async def _rest(first: Any, items: AsyncIterator[Any], frame: Callable[[Any], Any]) -> AsyncIterator[Any]:
    """The first (already framed) item, then the others framed as they come; the
    handler's generator is closed when the stream ends or is abandoned."""
    try:
        yield first
        async for item in items:
            yield frame(item)
    finally:
        close = getattr(items, "aclose", None)
        if close is not None:
            await close()


def typed_stream_endpoint(func: Callable[..., Any], stream: type[TypedStream]) -> Callable[..., Any]:
    """The endpoint of a handler annotated ``-> SSE[T]`` / ``-> JSONL[T]``: a generator
    handler's items (or a plain handler's returned iterable) as a validated stream.

    The first item is taken (and validated) before the response starts, so that an
    ``HTTPException`` raised before the first ``yield`` (a permission check...) or an
    invalid first item is answered with its own status (500 for the item), not with a
    200 stream cut short."""
    where = f"{func.__module__}.{func.__qualname__}"
    encode = _encoder(stream.item)
    sse = stream.media_type == "text/event-stream"
    generator = inspect.isasyncgenfunction(func) or inspect.isgeneratorfunction(func)
    if not generator and not inspect.iscoroutinefunction(func):
        raise BoltConfigError(f"{where}: a {stream.__name__} handler is a generator or an `async def`")

    def frame(item: Any) -> Any:
        return _sse_event(item, encode) if sse else _jsonl_line(item, encode)

    async def respond(content: Any) -> Response:
        if isinstance(content, Response):
            return content
        if isinstance(content, (str, bytes, dict)) or not (
            hasattr(content, "__aiter__") or hasattr(content, "__iter__")
        ):
            raise TypeError(f"{where} is annotated {stream.__name__}: return an iterable of items")
        items = _source(content)
        try:
            first = frame(await anext(items))
        except StopAsyncIteration:
            body: Any = []
        except BaseException:
            close = getattr(items, "aclose", None)
            if close is not None:
                await close()
            raise
        else:
            body = _rest(first, items, frame)
        return EventSourceResponse(body) if sse else JSONLResponse(body)

    if generator:

        async def from_generator(**kwargs: Any) -> Response:
            return await respond(func(**kwargs))

        endpoint = from_generator
    else:

        async def from_result(**kwargs: Any) -> Response:
            return await respond(await func(**kwargs))

        endpoint = from_result
    endpoint.__wrapped__ = func  # type: ignore[attr-defined]
    return endpoint
