"""The hot path: drain request records from Go, run handlers, answer in batches.

Called by the event loop whenever Go's wake-up fd is readable. Per docs/bridge.md:
one C call fetches a batch, each handler is driven with ``coro.send(None)`` (a Task is made
only if it actually awaits), and all finished responses go back in one C call.
"""

from __future__ import annotations

import asyncio
import collections.abc
import functools
import inspect
from contextvars import Context, copy_context
from typing import Any

from .._native.library import ffi, new_bytes
from .._native.wire import (
    CT_FILE,
    CT_JSON,
    CT_STREAM,
    KIND_CREDIT,
    KIND_FILE,
    KIND_REQUEST,
    KIND_RESPONSE,
    KIND_STREAM_START,
    KIND_WS_CLOSED,
    KIND_WS_MESSAGE,
    KIND_WS_OPEN,
    REQ_HEADER,
    RESP_HEADER,
)
from .._routing.route import Route
from ..exceptions import HTTPException, ResponseValidationError
from ..request import Request
from . import background
from .encoding import (
    INTERNAL_ERROR,
    Encoded,
    StreamBody,
    encode_exception,
    encode_result,
    logger,
)
from .jsonenc import json_encode
from .middleware import ChainJSON, encode_chain_json, untouched
from .orm import ORM_TYPES, OrmJob, OrmReturns, Outcome, bind_lane, current_pool, encode_orm
from .streaming import NO_CONTEXT, Streamer
from .websocket import Sockets

_REQ_SIZE = REQ_HEADER.size
_unpack_req = REQ_HEADER.unpack_from
_pack_resp_into = RESP_HEADER.pack_into
_RESP_SIZE = RESP_HEADER.size
#: The response batch buffer starts at this size, grows by doubling, and is cut back to it
#: after a flush only when a huge batch made it larger than _OUT_KEEP.
_OUT_START, _OUT_KEEP = 1 << 20, 16 << 20

_NOT_STARTED: Any = object()


class _Resumed(collections.abc.Coroutine):  # type: ignore[type-arg]
    """Hands a coroutine that already ran up to its first ``await`` over to a Task.

    The Task's first step receives the awaitable the handler yielded from ``send(None)``,
    exactly as if the Task had started it (3.12's eager tasks do the same natively).
    """

    __slots__ = ("_coro", "_first")

    def __init__(self, coro: collections.abc.Coroutine[Any, Any, Any], first: Any) -> None:
        self._coro = coro
        self._first = first

    def send(self, value: Any) -> Any:
        first = self._first
        if first is not _NOT_STARTED:
            self._first = _NOT_STARTED
            return first
        return self._coro.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        self._first = _NOT_STARTED
        if val is None and tb is None:
            return self._coro.throw(typ)
        return self._coro.throw(typ, val, tb)  # pragma: no cover - legacy signature

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Any:
        return self


class Dispatcher:
    """Owns the poll buffer, the pending Tasks and the outgoing response batch."""

    def __init__(
        self, lib: Any, handle: int, routes: list[Route], loop: asyncio.AbstractEventLoop, debug: bool
    ) -> None:
        self.lib = lib
        self.handle = handle
        self.routes = routes
        self.loop = loop
        self.debug = debug
        self.tasks: dict[int, asyncio.Task[Any] | OrmJob] = {}
        self.streams: dict[int, Streamer] = {}
        self.flush_scheduled = False
        self.out = bytearray()
        self.out_len = 0
        self._set_out(_OUT_START)
        self._set_buffer(1 << 20)
        self.sockets = Sockets(self)

    def _set_buffer(self, size: int) -> None:
        # The cffi view pins the bytearray; a bigger buffer is a new bytearray, never a resize.
        self.buf = bytearray(size)
        self.view = memoryview(self.buf)
        self.cbuf = ffi.from_buffer(self.buf)

    def _set_out(self, size: int) -> None:
        # Speed: one preallocated batch buffer written in place through a memoryview. A
        # bytearray cleared after each flush is freed and regrown through mmap on every
        # batch (page faults and page zeroing in perf on the 10 KB JSON response). Python
        # micro-benchmark, 40 responses + flush: 10 KB bodies 8.4 -> 0.9 us per response,
        # 27 B bodies unchanged (~0.45 us).
        out = bytearray(size)
        if self.out_len:
            out[: self.out_len] = self.out[: self.out_len]
        self.out = out
        self.out_cap = size
        self.out_view = memoryview(out)  # slice writes through a memoryview: ~0.1 us, not ~0.25
        self.cout = ffi.from_buffer(out)

    def drain(self) -> None:
        """add_reader callback: fetch one batch and run it."""
        lib, handle = self.lib, self.handle
        n = lib.bolt_poll(handle, self.cbuf, len(self.buf))
        if n < 0:  # the first record alone is bigger than the buffer
            self._set_buffer(max(-n, 2 * len(self.buf)))
            n = lib.bolt_poll(handle, self.cbuf, len(self.buf))
        if n <= 0:
            return
        data = self.view[:n].tobytes()
        routes = self.routes
        off = 0
        while off < n:
            rid, kind, method, route_id, flags, apart, plen, palen, qlen, hlen, blen, elen = _unpack_req(data, off)
            start = off + _REQ_SIZE
            off = start + plen + palen + qlen + hlen + blen + elen
            if apart:  # RECORD_BODY_APART, the only record flag: the body is not in the batch
                off -= blen
            if kind != KIND_REQUEST:
                if kind == KIND_CREDIT:
                    streamer = self.streams.get(rid)
                    if streamer is not None:
                        streamer.grant(flags)  # a credit record carries its count in flags
                    else:
                        self.sockets.credit(rid, flags)
                elif kind in (KIND_WS_MESSAGE, KIND_WS_CLOSED):
                    b = start + plen + palen + qlen + hlen
                    self.sockets.event(kind, rid, flags, data[b : b + blen])
                elif kind == KIND_WS_OPEN:
                    p = start + plen
                    q = p + palen
                    h = q + qlen
                    b = h + hlen
                    e = off - elen
                    sections = (data[start:p], data[p:q], data[q:h], data[h:b], b"", data[e:off])
                    self.sockets.start(rid, routes[route_id], method, sections)
                else:  # KIND_CANCEL
                    self._cancel(rid)
                continue
            route = routes[route_id]
            raw = (method, data, start, plen, palen, qlen, hlen, off - elen, off) if route.exception_handlers else None
            # Each request runs in its own copy of the loop's context, also for the first
            # step taken here outside any Task: a context variable a handler sets (asgiref's
            # executor markers, Django's) must not leak into the next request.
            ctx = copy_context()
            try:
                binder = route.binder
                if binder is None:
                    coro = route.endpoint()
                else:
                    p = start + plen
                    q = p + palen
                    h = q + qlen
                    b = h + hlen
                    e = off - elen
                    if apart:
                        body = self._read_body(rid, blen)
                        if body is None:
                            continue  # abandoned meanwhile: Go answered it, a cancel follows
                    else:
                        body = data[b:e]
                    coro = route.endpoint(
                        **binder(method, data[start:p], data[p:q], data[q:h], data[h:b], body, data[e:off])
                    )
                    # Only the handler holds a big body now: it is freed as soon as the
                    # handler is done, and glibc reuses its memory for the next one instead
                    # of trimming it (1 MiB uploads: 38-96 -> under 1 page fault per request).
                    body = None
                yielded = ctx.run(coro.send, None)
            except StopIteration as done:
                result = done.value
                kind = type(result)
                # _finish, inlined: this is the path of every handler that does not await.
                if (kind is dict or kind is list) and not route.outputs:
                    self._append_json(rid, route, result)
                elif kind is ChainJSON:
                    # A Python middleware route's dict/list (_runtime/middleware.py): on the
                    # same fast path when nobody changed it (untouched(), inlined).
                    if len(result.__dict__) == 2 and result.status_code == route.status_code:
                        self._append_json(rid, route, result.content)
                    else:
                        self._append_chain(rid, route, result)
                elif kind is not dict and kind is not list and isinstance(result, ORM_TYPES):
                    self._start_orm(rid, route, result)
                else:
                    self.append(rid, self._encode(result, route))
            except Exception as exc:
                self._fail(rid, route, exc, raw)
            else:
                self._start_task(rid, route, coro, yielded, raw, ctx)
        self.flush()

    def _read_body(self, rid: int, size: int) -> bytes | None:
        """The body of a record that left it out (bigger than bridge.BodyApartMin), copied
        by Go from its request buffer straight into the bytes the handler gets; None when
        the request is no longer waiting.

        Speed: one copy of the body on this side instead of four (batch copy, body slice,
        file slice, and Go's copy into the record); 1 MiB upload: see bench/RESULTS.md.
        """
        body = new_bytes(size)
        if self.lib.bolt_read_body(self.handle, rid, ffi.from_buffer("uint8_t[]", body), size) != size:
            return None
        return body

    def _finish(self, rid: int, route: Route, result: Any) -> None:
        """Answer a handler's return value."""
        kind = type(result)
        if kind is ChainJSON:
            if untouched(result, route.status_code):
                self._append_json(rid, route, result.content)
            else:
                self._append_chain(rid, route, result)
        # Plain dicts and lists skip the isinstance test.
        elif kind is not dict and kind is not list and isinstance(result, ORM_TYPES):
            self._start_orm(rid, route, result)
        else:
            self.append(rid, self._encode(result, route))

    def _append_chain(self, rid: int, route: Route, response: ChainJSON) -> None:
        """A middleware route's dict/list response that middleware changed (headers, status,
        content). Speed: encoded directly (no Response dispatch by isinstance, no render):
        bench/pymiddleware_micro.py "stamp"."""
        try:
            encoded = encode_chain_json(response)
        except Exception:  # content JSON cannot hold: _encode logs it and answers 500
            encoded = None
        self.append(rid, encoded if encoded is not None else self._encode(response, route))

    def _start_orm(self, rid: int, route: Route, result: Any) -> None:
        """A returned QuerySet or model instance is evaluated in the ORM pool (a query on this
        thread raises SynchronousOnlyOperation), its answer sent back with others in a batch."""
        executor = current_pool()
        if executor is None:  # no ORM pool (the in-process test clients): asgiref's threads
            self._start_task(rid, route, encode_orm(result, route, self._encode), _NOT_STARTED, None, encoded=True)
        else:
            # In `tasks`, so that a cancel from Go (timeout, disconnect) drops it while queued.
            self.tasks[rid] = self._orm_returns.submit(executor, rid, route, result)

    @functools.cached_property
    def _orm_returns(self) -> OrmReturns:
        return OrmReturns(self.loop, self._encode, self._orm_answers)

    def _orm_answers(self, answers: list[tuple[int, Route, Outcome]]) -> None:
        tasks = self.tasks
        for rid, route, outcome in answers:
            tasks.pop(rid, None)
            if isinstance(outcome, BaseException):
                self._fail(rid, route, outcome, None)
            else:
                self.append(rid, outcome)
        self.flush()

    def _encode(self, result: Any, route: Route) -> Encoded:
        try:
            if route.outputs:
                out = route.outputs.get(route.status_code)
                if out is not None:
                    result = out(result)
            encoded = encode_result(result, route.status_code)
            if encoded[1] == CT_STREAM:
                encoded[3].where = _where(route)  # type: ignore[attr-defined]
            return encoded
        except ResponseValidationError as exc:
            logger.error("%s: return value does not match the response model: %s", _where(route), exc.errors())
            return INTERNAL_ERROR
        except Exception:
            logger.exception("%s: return value could not be encoded as a response", _where(route))
            return INTERNAL_ERROR

    def _fail(self, rid: int, route: Route, exc: BaseException, raw: tuple[Any, ...] | None) -> None:
        """Answer an exception: with the API's handler for it when there is one."""
        handler = _find_handler(route.exception_handlers, exc) if raw is not None else None
        if handler is None or raw is None:
            self.append(rid, encode_exception(exc, _where(route), self.debug))
            return
        coro = self._handle_exception(handler, _request_from(raw), exc, route)
        ctx = copy_context()
        try:
            yielded = ctx.run(coro.send, None)
        except StopIteration as done:
            self.append(rid, done.value)
        else:
            self._start_task(rid, route, coro, yielded, None, ctx, encoded=True)

    async def _handle_exception(self, handler: Any, request: Request, exc: BaseException, route: Route) -> Encoded:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        try:
            result = handler(request, exc)
            if inspect.isawaitable(result):
                result = await result
            return encode_result(result, status)
        except Exception as again:
            return encode_exception(again, f"{_where(route)} (exception handler)", self.debug)

    def _start_task(
        self,
        rid: int,
        route: Route,
        coro: Any,
        yielded: Any,
        raw: tuple[Any, ...] | None,
        ctx: Context | None = None,
        encoded: bool = False,
    ) -> None:
        task = self.loop.create_task(_Resumed(coro, yielded), context=ctx)
        self.tasks[rid] = task
        task.add_done_callback(functools.partial(self._task_done, rid, route, raw, encoded))
        if ctx is not None:  # an ORM thread taken in the first step is the task's until it ends
            bind_lane(task, ctx)

    def _task_done(
        self, rid: int, route: Route, raw: tuple[Any, ...] | None, encoded: bool, task: asyncio.Task[Any]
    ) -> None:
        self.tasks.pop(rid, None)
        if task.cancelled():  # Go gave up on it (timeout or shutdown) and already answered
            return
        exc = task.exception()
        if exc is not None:
            self._fail(rid, route, exc, raw)
        elif encoded:
            self.append(rid, task.result())
        else:
            self._finish(rid, route, task.result())
        self.schedule_flush()

    def schedule_flush(self) -> None:
        """Send what was appended at the end of this loop iteration."""
        if not self.flush_scheduled:
            self.flush_scheduled = True
            self.loop.call_soon(self.flush)

    def _start_stream(self, rid: int, status: int, headers: bytes, body: StreamBody) -> None:
        """Send a streamed reply's head and start the task that sends its chunks."""
        self.append_record(rid, KIND_STREAM_START, body.ctype, status, headers, b"")
        streamer = Streamer(self, rid, body.response, body.where)
        self.streams[rid] = streamer
        task = self.loop.create_task(streamer.run())
        self.tasks[rid] = task
        task.add_done_callback(functools.partial(self._stream_done, rid), context=NO_CONTEXT)

    def _stream_done(self, rid: int, task: asyncio.Task[Any]) -> None:
        if self.tasks.get(rid) is task:
            del self.tasks[rid]
        if not task.cancelled() and task.exception() is not None:  # pragma: no cover - run() logs its own
            logger.error("stream %#x: %s", rid, task.exception())

    def _cancel(self, rid: int) -> None:
        task = self.tasks.get(rid)
        if task is not None:
            task.cancel()

    def append(self, rid: int, encoded: Encoded) -> None:
        """Append an encoded response to the batch.

        Speed: append_record's body written out again rather than called (responses with a
        response model, Struct returns, errors all come through here): delegating measured
        335 -> 445 ns per response (40 appends per batch, min of 7 x 5,000)."""
        status, ctype, headers, body = encoded
        hlen, blen = len(headers), len(body)
        pos = self.out_len
        end = pos + _RESP_SIZE + hlen + blen
        if end > self.out_cap:
            self._set_out(max(end, 2 * self.out_cap))
        out = self.out_view
        if ctype == CT_FILE:
            _pack_resp_into(out, pos, rid, KIND_FILE, 0, status, hlen, blen, 0)
        elif ctype == CT_STREAM:
            self._start_stream(rid, status, headers, body)  # type: ignore[arg-type]
            return
        else:
            _pack_resp_into(out, pos, rid, KIND_RESPONSE, ctype, status, hlen, blen, 0)
        pos += _RESP_SIZE
        if hlen:
            out[pos : pos + hlen] = headers  # same-length slice assignment: a memcpy
            pos += hlen
        out[pos:end] = body
        self.out_len = end

    def _append_json(self, rid: int, route: Route, result: Any) -> None:
        """append(rid, self._encode(result, route)) for a plain dict or list without a
        response model, written straight into the batch. Speed: without the _encode /
        encode_result calls and the Encoded tuple, Python-only drain of /hello (same
        process, old and new alternating, min of 15 x 300 batches of 40) 1.54 -> 1.37 us
        per request."""
        try:
            body = json_encode(result)
        except Exception:
            self.append(rid, self._encode(result, route))  # logs the failure and answers 500
            return
        pos = self.out_len
        end = pos + _RESP_SIZE + len(body)
        if end > self.out_cap:
            self._set_out(max(end, 2 * self.out_cap))
        out = self.out_view
        _pack_resp_into(out, pos, rid, KIND_RESPONSE, CT_JSON, route.status_code, 0, len(body), 0)
        out[pos + _RESP_SIZE : end] = body
        self.out_len = end

    def append_record(self, rid: int, kind: int, ctype: int, status: int, headers: bytes, body: bytes) -> None:
        """Append a record of any kind (streamed replies use this; append is the fast path)."""
        hlen, blen = len(headers), len(body)
        pos = self.out_len
        end = pos + _RESP_SIZE + hlen + blen
        if end > self.out_cap:
            self._set_out(max(end, 2 * self.out_cap))
        out = self.out_view
        _pack_resp_into(out, pos, rid, kind, ctype, status, hlen, blen, 0)
        pos += _RESP_SIZE
        out[pos : pos + hlen] = headers
        out[pos + hlen : end] = body
        self.out_len = end

    def flush(self) -> None:
        """Send every finished response to Go in one call."""
        self.flush_scheduled = False
        if not self.out_len:
            return
        refused = self.lib.bolt_respond(self.handle, self.cout, self.out_len)
        if refused < 0:
            logger.error("libbolt refused a response batch (malformed records)")
        self.out_len = 0
        if background.pending:  # BackgroundTasks of handlers whose responses just left
            background.start_pending()
        if self.out_cap > _OUT_KEEP:
            self._set_out(_OUT_START)

    def cancel_all(self) -> None:
        for task in list(self.tasks.values()):
            task.cancel()


def _find_handler(handlers: dict[type[BaseException], Any], exc: BaseException) -> Any:
    for cls in type(exc).__mro__:
        handler = handlers.get(cls)
        if handler is not None:
            return handler
    return None


def _request_from(raw: tuple[Any, ...]) -> Request:
    """The request object for an exception handler, from the record it came in."""
    method, data, start, plen, palen, qlen, hlen, extra_start, end = raw
    q = start + plen + palen
    h = q + qlen
    # The body is not kept for exception handlers.
    return Request(
        method, data[start : start + plen], data[q:h].decode(), data[h : h + hlen], b"", {}, data[extra_start:end]
    )


def _where(route: Route) -> str:
    return f"{route.method} {route.path}"
