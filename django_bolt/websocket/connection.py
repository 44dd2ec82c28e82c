"""The ``WebSocket`` object a handler gets: accept, receive, send, close, groups.

Every call becomes a record in the dispatcher's next batch to Go (``_native/wire.py``,
docs/websockets.md); nothing here makes a C call. Flow control both ways: ``send*`` waits
for a credit once ``SOCKET_WINDOW`` messages are in flight to the client, and Go reads at
most ``SOCKET_WINDOW`` messages ahead of ``receive*`` (acknowledged in halves).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Iterable, Mapping
from enum import IntEnum
from typing import Any, Protocol
from urllib.parse import parse_qs

import msgspec

from .._native.wire import (
    KIND_WS_ACCEPT,
    KIND_WS_ACK,
    KIND_WS_BROADCAST,
    KIND_WS_CLOSE,
    KIND_WS_JOIN,
    KIND_WS_LEAVE,
    KIND_WS_SEND,
    SOCKET_WINDOW,
    WS_BINARY,
    WS_TEXT,
)
from ..request import Request
from .codes import WebSocketDisconnect

__all__ = ["WebSocket", "WebSocketState"]

_ACK_BATCH = SOCKET_WINDOW // 2
_encode_json = msgspec.json.Encoder().encode
_decode_json = msgspec.json.decode


class WebSocketState(IntEnum):
    CONNECTING = 1
    CONNECTED = 2
    DISCONNECTED = 3


class Link(Protocol):
    """What a WebSocket needs from the runtime: queue a record for the next batch."""

    def record(self, rid: int, kind: int, ctype: int, status: int, headers: bytes, body: bytes) -> None: ...

    def refuse(self, rid: int, status: int, detail: str) -> None: ...


def encode_headers(headers: Iterable[tuple[Any, Any]] | Mapping[Any, Any] | None) -> bytes:
    """Handshake headers as a record header block (``name\\0value\\0``...)."""
    if not headers:
        return b""
    items = headers.items() if isinstance(headers, Mapping) else headers
    out = bytearray()
    for name, value in items:
        n = name.encode("latin-1") if isinstance(name, str) else bytes(name)
        v = value.encode("latin-1") if isinstance(value, str) else bytes(value)
        if b"\0" in n or b"\0" in v or b"\r" in v or b"\n" in v or not n:
            raise ValueError(f"invalid WebSocket handshake header {name!r}")
        out += n + b"\0" + v + b"\0"
    return bytes(out)


def broadcast_record(link: Link, group: str, data: str | bytes | Any) -> None:
    """Queue a broadcast of ``data`` (str: text, bytes: binary, else JSON text) to ``group``."""
    if not isinstance(group, str) or not group:
        raise ValueError("a group name must be a non-empty string")
    if isinstance(data, str):
        link.record(0, KIND_WS_BROADCAST, WS_TEXT, 0, group.encode(), data.encode())
    elif isinstance(data, (bytes, bytearray, memoryview)):
        link.record(0, KIND_WS_BROADCAST, WS_BINARY, 0, group.encode(), bytes(data))
    else:
        link.record(0, KIND_WS_BROADCAST, WS_TEXT, 0, group.encode(), _encode_json(data))


class WebSocket:
    """One WebSocket connection, as its handler sees it (django-bolt's API)."""

    def __init__(self, link: Link, rid: int, request: Request) -> None:
        self._link = link
        self._rid = rid
        #: The upgrade request (headers, cookies, ``user``, ``auser()``, ``session``...).
        self.request = request
        self.state = WebSocketState.CONNECTING
        self.path_params: dict[str, Any] = request.path_params
        self.subprotocol: str | None = None
        self._inbox: collections.deque[tuple[int, bytes]] = collections.deque()
        self._inbox_waiter: asyncio.Future[None] | None = None
        self._credits = SOCKET_WINDOW
        self._credit_waiter: asyncio.Future[None] | None = None
        self._consumed = 0
        #: set when Go reported the connection gone: (code, reason)
        self._gone: tuple[int, str] | None = None

    # ---- the upgrade request ----------------------------------------------------------------

    @property
    def path(self) -> str:
        return self.request.path

    @property
    def url(self) -> str:
        return self.request.path

    @property
    def query_string(self) -> bytes:
        return self.request.query_string.encode()

    @property
    def query_params(self) -> dict[str, str | list[str]]:
        parsed = parse_qs(self.request.query_string, keep_blank_values=True)
        return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}

    @property
    def headers(self) -> dict[str, str]:
        return self.request.headers

    @property
    def cookies(self) -> dict[str, str]:
        return self.request.cookies

    @property
    def client(self) -> tuple[str, int] | None:
        c = self.request.extra.get("client")
        return (c[0], c[1]) if c else None

    @property
    def auth(self) -> dict[str, Any]:
        """What Go's authentication verified at the upgrade (e.g. the JWT's claims)."""
        return self.request.context

    @property
    def user(self) -> Any:
        return self.request.user

    async def auser(self) -> Any:
        return await self.request.auser()

    # ---- handshake and close ------------------------------------------------------------

    async def accept(
        self, subprotocol: str | None = None, headers: Iterable[tuple[Any, Any]] | Mapping[Any, Any] | None = None
    ) -> None:
        """Complete the handshake (idempotent). ``subprotocol`` is sent in the handshake
        when the client offered it."""
        if self.state == WebSocketState.CONNECTED:
            return
        if self.state == WebSocketState.DISCONNECTED:
            raise RuntimeError("WebSocket is closed")
        block = encode_headers(headers)
        self.subprotocol = subprotocol
        self._link.record(self._rid, KIND_WS_ACCEPT, 0, 101, block, (subprotocol or "").encode())
        self.state = WebSocketState.CONNECTED

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (no-op when closed). Before ``accept`` it refuses the
        upgrade with 403."""
        if self.state == WebSocketState.DISCONNECTED:
            return
        if self.state == WebSocketState.CONNECTING:
            self.state = WebSocketState.DISCONNECTED
            self._link.refuse(self._rid, 403, reason or "WebSocket connection refused")
            return
        self.state = WebSocketState.DISCONNECTED
        if self._gone is None:
            # A close frame's reason is at most 123 bytes; cut on a character boundary.
            cut = reason.encode()[:123].decode("utf-8", "ignore").encode()
            self._link.record(self._rid, KIND_WS_CLOSE, 0, code, b"", cut)
        self._wake()

    # ---- receiving --------------------------------------------------------------------------

    async def _next(self) -> tuple[int, bytes]:
        while not self._inbox:
            if self._gone is not None:
                raise WebSocketDisconnect(*self._gone)
            if self.state != WebSocketState.CONNECTED:
                raise RuntimeError('WebSocket is not connected; call "accept()" first')
            self._inbox_waiter = asyncio.get_running_loop().create_future()
            try:
                await self._inbox_waiter
            finally:
                self._inbox_waiter = None
        item = self._inbox.popleft()
        self._consumed += 1
        if self._consumed >= _ACK_BATCH and self._gone is None:
            self._link.record(self._rid, KIND_WS_ACK, 0, self._consumed, b"", b"")
            self._consumed = 0
        return item

    async def receive(self) -> dict[str, Any]:
        """The next message as an ASGI-style dict; raises ``WebSocketDisconnect``."""
        opcode, payload = await self._next()
        if opcode == WS_TEXT:
            return {"type": "websocket.receive", "text": payload.decode()}
        return {"type": "websocket.receive", "bytes": payload}

    async def receive_text(self) -> str:
        opcode, payload = await self._next()
        return payload.decode()

    async def receive_bytes(self) -> bytes:
        opcode, payload = await self._next()
        return payload

    async def receive_json(self, mode: str = "text") -> Any:
        opcode, payload = await self._next()
        return _decode_json(payload)

    async def iter_text(self) -> AsyncIterator[str]:
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            return

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            return

    async def iter_json(self) -> AsyncIterator[Any]:
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            return

    # ---- sending ------------------------------------------------------------------------------

    async def _send(self, opcode: int, payload: bytes) -> None:
        while True:
            if self._gone is not None:
                raise WebSocketDisconnect(*self._gone)
            if self.state != WebSocketState.CONNECTED:
                raise RuntimeError("WebSocket is not connected")
            if self._credits > 0:
                break
            self._credit_waiter = asyncio.get_running_loop().create_future()
            try:
                await self._credit_waiter
            finally:
                self._credit_waiter = None
        self._credits -= 1
        self._link.record(self._rid, KIND_WS_SEND, opcode, 0, b"", payload)

    async def send(self, message: Mapping[str, Any]) -> None:
        """Send an ASGI-style message: ``websocket.send`` (``text`` or ``bytes``),
        ``websocket.accept`` or ``websocket.close``."""
        kind = message.get("type")
        if kind == "websocket.accept":
            await self.accept(message.get("subprotocol"), message.get("headers"))
        elif kind == "websocket.close":
            await self.close(message.get("code", 1000), message.get("reason") or "")
        elif kind == "websocket.send":
            if message.get("text") is not None:
                await self._send(WS_TEXT, message["text"].encode())
            else:
                await self._send(WS_BINARY, bytes(message.get("bytes") or b""))
        else:
            raise ValueError(f"unknown WebSocket message type {kind!r}")

    async def send_text(self, data: str) -> None:
        await self._send(WS_TEXT, data.encode())

    async def send_bytes(self, data: bytes) -> None:
        await self._send(WS_BINARY, bytes(data))

    async def send_json(self, data: Any, mode: str = "text") -> None:
        if mode not in ("text", "binary"):
            raise ValueError('mode must be "text" or "binary"')
        await self._send(WS_TEXT if mode == "text" else WS_BINARY, _encode_json(data))

    # ---- groups (fanned out in Go) ----------------------------------------------------------

    async def join(self, group: str) -> None:
        """Join ``group``: broadcasts to it reach this connection (left when it closes)."""
        self._group_record(KIND_WS_JOIN, group)

    async def leave(self, group: str) -> None:
        self._group_record(KIND_WS_LEAVE, group)

    async def broadcast(self, group: str, data: str | bytes | Any) -> None:
        """Send ``data`` to every member of ``group`` (this one too, if it is a member):
        one record, fanned out by Go without a Python step per member."""
        broadcast_record(self._link, group, data)

    def _group_record(self, kind: int, group: str) -> None:
        if self.state != WebSocketState.CONNECTED or self._gone is not None:
            raise RuntimeError("WebSocket is not connected")
        if not isinstance(group, str) or not group:
            raise ValueError("a group name must be a non-empty string")
        self._link.record(self._rid, kind, 0, 0, b"", group.encode())

    # ---- called by the runtime --------------------------------------------------------------

    def _deliver(self, opcode: int, payload: bytes) -> None:
        self._inbox.append((opcode, payload))
        w = self._inbox_waiter
        if w is not None and not w.done():
            w.set_result(None)

    def _grant(self, n: int) -> None:
        self._credits += n
        w = self._credit_waiter
        if w is not None and not w.done():
            w.set_result(None)

    def _closed(self, code: int, reason: str) -> None:
        self._gone = (code, reason)
        self._wake()

    def _wake(self) -> None:
        for w in (self._inbox_waiter, self._credit_waiter):
            if w is not None and not w.done():
                w.set_result(None)

    def __repr__(self) -> str:
        return f"<WebSocket {self.path} {self.state.name}>"
