"""Streamed replies: drive a StreamingResponse's generator and hand its chunks to Go.

A streamed reply is one KIND_STREAM_START record (status, headers), then KIND_CHUNK records,
then KIND_STREAM_END (``_native/wire.py``, docs/bridge.md). Flow control: a stream may have
``WINDOW`` chunks in flight; Go returns credits (KIND_CREDIT records) as it writes them out,
and the stream's task awaits while it has none, so the generator never runs ahead of a
slow client. Go's KIND_CANCEL (the client went away, shutdown) cancels the task, which
closes the generator.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
import re
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from .._native.wire import KIND_CHUNK, KIND_STREAM_END, STREAM_FAILED, STREAM_OK, STREAM_WINDOW
from ..exceptions import BoltConfigError
from ..responses import EventSourceResponse, ServerSentEvent, StreamingResponse
from .encoding import logger
from .jsonenc import json_encode

if TYPE_CHECKING:
    from .dispatch import Dispatcher

#: Chunks a stream may send before it needs credits (Go's bridge.StreamWindow).
WINDOW = STREAM_WINDOW
PING = b": ping\n\n"

_DONE: Any = object()
#: The context of the server's own per-stream callbacks (ping timers, the end of a stream's
#: task), which read no context variable. Passed explicitly: asyncio copies the current
#: context for every callback otherwise, one more object per stream that each full
#: collection walks (bench/RESULTS.md, issue 20).
NO_CONTEXT = contextvars.Context()
_LINES = re.compile(r"\r\n|\r|\n")
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _threads() -> ThreadPoolExecutor:
    """Threads for sync generators: their own pool, so a slow generator never takes the
    threads that ``sync_to_thread`` handlers use."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(thread_name_prefix="bolt-stream")
        return _executor


async def _from_sync(it: Iterator[Any]) -> AsyncIterator[Any]:
    """Iterate a sync iterator in a thread, one ``next`` at a time."""
    pending: Future[Any] | None = None
    try:
        while True:
            pending = _threads().submit(next, it, _DONE)
            item = await asyncio.wrap_future(pending)
            pending = None
            if item is _DONE:
                return
            yield item
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            if pending is None:
                close()
            else:  # still inside next() in its thread: close it there once next returns
                pending.add_done_callback(lambda _f: close())


async def _from_list(items: list[Any] | tuple[Any, ...]) -> AsyncIterator[Any]:
    for item in items:
        yield item


def _source(content: Any) -> AsyncIterator[Any]:
    if hasattr(content, "__aiter__"):
        return aiter(content)
    if isinstance(content, (list, tuple)):
        return _from_list(content)
    return _from_sync(iter(content))


def _as_bytes(chunk: Any) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode()
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"a StreamingResponse generator must yield str or bytes, not {type(chunk).__name__}")


def _single_line(name: str, value: str) -> str:
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError(f"ServerSentEvent.{name} cannot contain CR, LF or NUL: {value!r}")
    return value


def sse_frame(item: Any) -> bytes:
    """One event in text/event-stream framing (WHATWG HTML, 9.2 Server-sent events)."""
    ev = item if isinstance(item, ServerSentEvent) else ServerSentEvent(data=item)
    lines: list[str] = []
    if ev.comment is not None:
        lines += [f": {line}" for line in _LINES.split(ev.comment)]
    if ev.event is not None:
        lines.append(f"event: {_single_line('event', ev.event)}")
    if ev.id is not None:
        lines.append(f"id: {_single_line('id', str(ev.id))}")
    if ev.retry is not None:
        lines.append(f"retry: {int(ev.retry)}")
    if ev.data is not None:
        text = ev.data if isinstance(ev.data, str) else _json_text(ev.data)
        lines += [f"data: {line}" for line in _LINES.split(text)]
    if not lines:
        raise ValueError("an empty ServerSentEvent (no data, event, id, retry or comment)")
    return ("\n".join(lines) + "\n\n").encode()


def _json_text(data: Any) -> str:
    try:
        return json_encode(data).decode()
    except TypeError:
        return json.dumps(data)


async def _aclose(it: Any) -> None:
    close = getattr(it, "aclose", None)
    if close is not None:
        await close()


def item_encoder(response: StreamingResponse) -> Callable[[Any], bytes]:
    """How each item of the response's content becomes body bytes: SSE framing for an
    EventSourceResponse, else str (UTF-8) or bytes as they are."""
    return sse_frame if isinstance(response, EventSourceResponse) else _as_bytes


async def chunks(response: StreamingResponse) -> AsyncGenerator[bytes, None]:
    """The response's body as bytes chunks, SSE framing included (``Streamer`` iterates the
    same way without this generator). An EventSourceResponse's keep-alive pings are not
    here: ``Streamer`` sends them from a timer of its own."""
    source = _source(response.stream)
    encode = item_encoder(response)
    try:
        async for item in source:
            yield encode(item)
    finally:
        await _aclose(source)


def generator_endpoint(func: Callable[..., Any], response_class: type[Any]) -> Callable[..., Any]:
    """``@api.get(path, response_class=EventSourceResponse)`` on a generator handler (async
    or sync): each request's generator becomes the body of that response class."""
    where = f"{func.__module__}.{func.__qualname__}"
    if not (isinstance(response_class, type) and issubclass(response_class, StreamingResponse)):
        raise BoltConfigError(f"{where}: response_class must be a StreamingResponse class, got {response_class!r}")
    if not (inspect.isasyncgenfunction(func) or inspect.isgeneratorfunction(func)):
        raise BoltConfigError(f"{where}: response_class= is for generator handlers (use yield), or return the response")

    async def endpoint(**kwargs: Any) -> StreamingResponse:
        return response_class(func(**kwargs))

    endpoint.__wrapped__ = func  # type: ignore[attr-defined]
    return endpoint


class Streamer:
    """One streamed reply in progress: its task sends chunks while it has credits.

    Speed: an ``EventSourceResponse``'s keep-alive pings come from one timer per stream
    (``_ping``), re-armed for when the stream will have been quiet for ``ping_interval``,
    instead of racing every ``anext`` of the generator against a timeout (a Task, a timer
    and a wait per event: 2,000 SSE streams, CPU per event 43.4 -> 37.5 us and RSS 147 ->
    140 MB, medians of three alternated runs; bench/RESULTS.md, issue 20). Per event, the
    only cost left is reading the loop's clock."""

    __slots__ = ("dispatcher", "rid", "response", "where", "credits", "waiter", "last_sent", "ping_timer")

    def __init__(self, dispatcher: Dispatcher, rid: int, response: StreamingResponse, where: str) -> None:
        self.dispatcher = dispatcher
        self.rid = rid
        self.response = response
        self.where = where
        self.credits = WINDOW
        self.waiter: asyncio.Future[None] | None = None
        self.last_sent = 0.0  # loop time of the last chunk (or ping) sent
        self.ping_timer: asyncio.TimerHandle | None = None

    def _ping(self, interval: float) -> None:
        """Timer callback: send a ping if nothing went out for ``interval`` seconds, then
        re-arm for the next moment the stream could have been quiet that long."""
        loop = self.dispatcher.loop
        now = loop.time()
        wait = self.last_sent + interval - now
        if wait <= 0:
            # Without credit the client has not read what was sent: the connection is not
            # idle, and a ping could not be sent anyway.
            if self.credits > 0:
                self.credits -= 1
                self.dispatcher.append_record(self.rid, KIND_CHUNK, 0, 0, b"", PING)
                self.dispatcher.schedule_flush()
            self.last_sent = now
            wait = interval
        self.ping_timer = loop.call_later(wait, self._ping, interval, context=NO_CONTEXT)

    def grant(self, n: int) -> None:
        """Go took ``n`` more chunks off the stream's queue."""
        self.credits += n
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def run(self) -> None:
        d, rid, response = self.dispatcher, self.rid, self.response
        loop = d.loop
        # What chunks() does, without its generator: iterated here, the handler's generator
        # is the only one per stream (one async generator, its frame, its finalizer weakref
        # and an `asend` per event fewer; every object a stream keeps alive is walked by each
        # full collection of the loop thread, see bench/RESULTS.md, issue 20).
        source = _source(response.stream)
        encode = item_encoder(response)
        interval = response.ping_interval if isinstance(response, EventSourceResponse) else None
        # Speed: an event goes to Go (and, through bolt_respond's direct write, to the
        # socket) at once instead of at the end of the loop's iteration, behind every other
        # stream whose timer fired in the same millisecond. 10,000 SSE streams, one event
        # per second each: tick overhead p50 0.23-2.0 -> 0.01 ms on a loaded host, p99
        # 0.26-0.28 ms on a quiet one, for ~2.3 us more CPU per event (one C call per event
        # instead of per batch; bench/RESULTS.md, "Issue 20, the SSE tail"). Other streamed
        # bodies keep one call per batch: a generator that yields many small chunks at once
        # (a CSV export) is about throughput.
        flush_now = isinstance(response, EventSourceResponse)
        if interval is not None:
            self.last_sent = loop.time()
            self.ping_timer = loop.call_later(interval, self._ping, interval, context=NO_CONTEXT)
        failed = STREAM_OK
        try:
            async for item in source:
                chunk = encode(item)
                if not chunk:
                    continue
                while self.credits <= 0:
                    self.waiter = loop.create_future()
                    await self.waiter
                    self.waiter = None
                self.credits -= 1
                d.append_record(rid, KIND_CHUNK, 0, 0, b"", chunk)
                if flush_now:
                    d.flush()
                else:
                    d.schedule_flush()
                if interval is not None:
                    self.last_sent = loop.time()
        except asyncio.CancelledError:
            raise  # Go already gave up on the reply: nothing more to send
        except Exception:
            logger.exception("%s: streamed response failed; connection closed after what was sent", self.where)
            failed = STREAM_FAILED
        finally:
            if self.ping_timer is not None:
                self.ping_timer.cancel()  # no ping after the end record
                self.ping_timer = None
            await _aclose(source)  # closes the handler's generator (GeneratorExit at its yield)
            d.streams.pop(rid, None)
        d.append_record(rid, KIND_STREAM_END, 0, failed, b"", b"")
        d.schedule_flush()
