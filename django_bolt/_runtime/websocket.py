"""The runtime side of WebSocket routes: open records start handlers, message and close
records feed their ``WebSocket`` objects, and their calls become records in the
dispatcher's batches (docs/websockets.md). No C call per message: everything rides the
dispatcher's ``bolt_poll`` / ``bolt_respond`` batches.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from contextvars import copy_context
from typing import Any, Protocol

from .._native.wire import CT_JSON, KIND_RESPONSE, KIND_WS_CLOSED, KIND_WS_MESSAGE
from .._routing.route import Route
from ..exceptions import HTTPException
from ..request import Request
from ..websocket.codes import WebSocketDisconnect, WebSocketException
from ..websocket.connection import WebSocket, WebSocketState, broadcast_record
from .encoding import encode_exception, logger
from .jsonenc import json_encode


class Batches(Protocol):
    """The dispatcher, as far as sockets use it (typed here to keep the import one-way)."""

    loop: asyncio.AbstractEventLoop
    debug: bool
    tasks: dict[int, Any]

    def append(self, rid: int, encoded: Any) -> None: ...

    def append_record(self, rid: int, kind: int, ctype: int, status: int, headers: bytes, body: bytes) -> None: ...

    def schedule_flush(self) -> None: ...


#: The route option that names the handler's WebSocket argument (set by api.websocket).
WS_PARAM = "websocket_param"

#: The Sockets of the dispatchers in this process, newest last (one under runbolt; test
#: clients add theirs), for ``api.broadcast``. Weak: a finished test client's dispatcher and
#: its buffers are not kept alive by this list.
_active: list[weakref.ref[Sockets]] = []


def active() -> Sockets:
    """The serving process's socket table; RuntimeError when no server runs here."""
    while _active:
        sockets = _active[-1]()
        if sockets is not None:
            return sockets
        _active.pop()
    raise RuntimeError("broadcast needs a running server (runbolt or a test client)")


def broadcast(group: str, data: Any) -> None:
    """Queue a broadcast record; from another thread (a ``sync_to_thread`` handler), it is
    handed to the loop thread, which alone writes the dispatcher's batch."""
    sockets = active()
    try:
        on_loop = asyncio.get_running_loop() is sockets.d.loop
    except RuntimeError:  # no loop in this thread
        on_loop = False
    if on_loop:
        broadcast_record(sockets, group, data)
    else:
        sockets.d.loop.call_soon_threadsafe(broadcast_record, sockets, group, data)


class Sockets:
    """The open WebSockets of one dispatcher, by request id; the ``Link`` of each."""

    def __init__(self, dispatcher: Batches) -> None:
        self.d = dispatcher
        self.open: dict[int, WebSocket] = {}
        #: rid -> the exception a handler raised (the test client re-raises it)
        self.errors: dict[int, BaseException] = {}
        _active.append(weakref.ref(self))

    def detach(self) -> None:
        _active[:] = [r for r in _active if r() not in (None, self)]

    # ---- Link ----------------------------------------------------------------------------------

    def record(self, rid: int, kind: int, ctype: int, status: int, headers: bytes, body: bytes) -> None:
        self.d.append_record(rid, kind, ctype, status, headers, body)
        self.d.schedule_flush()

    def refuse(self, rid: int, status: int, detail: str) -> None:
        self.d.append_record(rid, KIND_RESPONSE, CT_JSON, status, b"", json_encode({"detail": detail}))
        self.d.schedule_flush()

    # ---- records from Go -----------------------------------------------------------------------

    def event(self, kind: int, rid: int, flags: int, payload: bytes) -> None:
        ws = self.open.get(rid)
        if ws is None:
            return
        if kind == KIND_WS_MESSAGE:
            ws._deliver(flags, payload)
        elif kind == KIND_WS_CLOSED:
            ws._closed(flags, payload.decode("utf-8", "replace"))

    def credit(self, rid: int, n: int) -> bool:
        ws = self.open.get(rid)
        if ws is None:
            return False
        ws._grant(n)
        return True

    def start(self, rid: int, route: Route, method: int, sections: tuple[bytes, ...]) -> None:
        """An upgrade request: bind the arguments (refusing bad input with 422 before the
        handshake) and start the handler."""
        path, params, query, headers, body, extra = sections
        name = route.extra[WS_PARAM]
        try:
            kwargs = route.binder(method, path, params, query, headers, body, extra) if route.binder else {}
        except Exception as exc:
            self.d.append(rid, encode_exception(exc, _where(route), self.d.debug))
            return
        request = kwargs.get(name)
        if not isinstance(request, Request):  # pragma: no cover - the plan always binds it
            request = Request(method, path, query.decode(), headers, b"", {}, extra)
        ws = WebSocket(self, rid, request)
        kwargs[name] = ws
        self.open[rid] = ws
        task = self.d.loop.create_task(self._run(rid, route, ws, kwargs), context=copy_context())
        self.d.tasks[rid] = task
        task.add_done_callback(functools.partial(self._done, rid))

    async def _run(self, rid: int, route: Route, ws: WebSocket, kwargs: dict[str, Any]) -> None:
        try:
            await route.endpoint(**kwargs)
        except WebSocketDisconnect:
            pass
        except WebSocketException as exc:  # WebSocketClose too: close with its code
            if ws.state == WebSocketState.CONNECTING:
                self.refuse(rid, 403, exc.reason or "WebSocket connection refused")
                ws.state = WebSocketState.DISCONNECTED
            else:
                await ws.close(exc.code, exc.reason)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.errors[rid] = exc
            if ws.state == WebSocketState.CONNECTING:
                self.d.append(rid, encode_exception(exc, _where(route), self.d.debug))
                self.d.schedule_flush()
                ws.state = WebSocketState.DISCONNECTED
                return
            if not isinstance(exc, HTTPException):
                logger.exception(
                    "%s: WebSocket handler failed (request id %s); closing with 1011", _where(route), ws.request.id
                )
            await ws.close(1011, "Internal error")
        else:
            if ws.state == WebSocketState.CONNECTING:
                ws.state = WebSocketState.DISCONNECTED
                self.refuse(rid, 403, "WebSocket handler returned without accepting")
            elif ws.state == WebSocketState.CONNECTED:
                await ws.close(1000)

    def _done(self, rid: int, task: asyncio.Task[Any]) -> None:
        self.open.pop(rid, None)
        if self.d.tasks.get(rid) is task:
            del self.d.tasks[rid]


def _where(route: Route) -> str:
    return f"WS {route.path}"
