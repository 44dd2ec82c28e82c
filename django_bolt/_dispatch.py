"""The hot path: drain request records from Go, run handlers, answer in batches.

Called by the event loop whenever Go's wake-up fd is readable. Per shared/design/bridge.md:
one C call fetches a batch, each handler is driven with ``coro.send(None)`` (a Task is made
only if it actually awaits), and all finished responses go back in one C call.
"""

from __future__ import annotations

import asyncio
import collections.abc
import functools
import struct
from typing import Any

from ._encoding import INTERNAL_ERROR, Encoded, encode_exception, encode_result, logger
from ._native import ffi
from .api import Route

KIND_REQUEST, KIND_CANCEL, KIND_RESPONSE = 1, 2, 1
REQ_HEADER = struct.Struct("<QBBHHHIIIIII")  # libbolt/bridge/record.go, RequestHeaderSize
RESP_HEADER = struct.Struct("<QBBHIII")  # ResponseHeaderSize
_REQ_SIZE = REQ_HEADER.size
_unpack_req = REQ_HEADER.unpack_from
_pack_resp = RESP_HEADER.pack

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
        self.tasks: dict[int, asyncio.Task[Any]] = {}
        self.out = bytearray()
        self.flush_scheduled = False
        self._set_buffer(1 << 20)

    def _set_buffer(self, size: int) -> None:
        # The cffi view pins the bytearray; a bigger buffer is a new bytearray, never a resize.
        self.buf = bytearray(size)
        self.view = memoryview(self.buf)
        self.cbuf = ffi.from_buffer(self.buf)

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
            rid, kind, method, route_id, _flags, _, plen, palen, qlen, hlen, blen, _ = _unpack_req(data, off)
            start = off + _REQ_SIZE
            off = start + plen + palen + qlen + hlen + blen
            if kind != KIND_REQUEST:
                self._cancel(rid)
                continue
            route = routes[route_id]
            try:
                binder = route.binder
                if binder is None:
                    coro = route.endpoint()
                else:
                    p = start + plen
                    q = p + palen
                    h = q + qlen
                    b = h + hlen
                    coro = route.endpoint(**binder(method, data[start:p], data[p:q], data[q:h], data[h:b], data[b:off]))
                yielded = coro.send(None)
            except StopIteration as done:
                encoded = self._encode(done.value, route)
            except Exception as exc:
                encoded = encode_exception(exc, _where(route), self.debug)
            else:
                self._start_task(rid, route, coro, yielded)
                continue
            self.append(rid, encoded)
        self.flush()

    def _encode(self, result: Any, route: Route) -> Encoded:
        try:
            return encode_result(result, route.status_code)
        except Exception:
            logger.exception("%s: return value could not be encoded as a response", _where(route))
            return INTERNAL_ERROR

    def _start_task(self, rid: int, route: Route, coro: Any, yielded: Any) -> None:
        task = self.loop.create_task(_Resumed(coro, yielded))
        self.tasks[rid] = task
        task.add_done_callback(functools.partial(self._task_done, rid, route))

    def _task_done(self, rid: int, route: Route, task: asyncio.Task[Any]) -> None:
        self.tasks.pop(rid, None)
        if task.cancelled():  # Go gave up on it (timeout or shutdown) and already answered
            return
        exc = task.exception()
        encoded = (
            self._encode(task.result(), route) if exc is None else encode_exception(exc, _where(route), self.debug)
        )
        self.append(rid, encoded)
        if not self.flush_scheduled:
            self.flush_scheduled = True
            self.loop.call_soon(self.flush)

    def _cancel(self, rid: int) -> None:
        task = self.tasks.get(rid)
        if task is not None:
            task.cancel()

    def append(self, rid: int, encoded: Encoded) -> None:
        status, ctype, headers, body = encoded
        self.out += _pack_resp(rid, KIND_RESPONSE, ctype, status, len(headers), len(body), 0)
        self.out += headers
        self.out += body

    def flush(self) -> None:
        """Send every finished response to Go in one call."""
        self.flush_scheduled = False
        out = self.out
        if not out:
            return
        refused = self.lib.bolt_respond(self.handle, ffi.from_buffer(out), len(out))
        if refused < 0:
            logger.error("libbolt refused a response batch (malformed records)")
        out.clear()

    def cancel_all(self) -> None:
        for task in list(self.tasks.values()):
            task.cancel()


def _where(route: Route) -> str:
    return f"{route.method} {route.path}"
