"""``WebSocketTestClient``: a WebSocket client whose frames go through the real Go code.

The APIs are served in-process by libbolt on a loopback port (127.0.0.1, a free port), on the
event loop of the test itself, and the client is the ``websockets`` package: the upgrade, the
refusals, the frames, the close codes and the limits are the ones ``runbolt`` has.
``django_bolt.testing`` exports it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import msgspec

from .._django.prepare import prepare as prepare_django
from .._native import library as native
from .._runtime.dispatch import Dispatcher
from .._server.discovery import collect_routes
from .._server.lifespan import lifespan
from .._server.serve import ServeOptions, server_config
from ..api import BoltAPI
from ..conf import BoltSettings, load_settings
from ..exceptions import BoltConfigError

__all__ = ["ConnectionClosed", "WebSocketTestClient"]


class ConnectionClosed(Exception):
    """The server closed the connection; ``code`` and ``reason`` are its close frame's."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


_REFUSALS = {401: "Authentication required", 403: "Permission denied", 429: "Rate limit exceeded"}


class WebSocketTestClient:
    """``async with WebSocketTestClient(api, "/ws/echo") as ws: await ws.send_text("hi")``.

    A refusal at the upgrade raises ``PermissionError`` (401, 403, 429; the message has the
    reason), an unknown path ``ValueError``, another refusal ``RuntimeError``. A handler
    exception closes the socket with 1011 and is raised again when the block exits.
    """

    def __init__(
        self,
        api: BoltAPI | Sequence[BoltAPI],
        path: str,
        headers: Mapping[str, str] | None = None,
        query_string: str = "",
        subprotocols: Sequence[str] | None = None,
        *,
        settings: BoltSettings | None = None,
        debug: bool = False,
    ) -> None:
        self.apis = [api] if isinstance(api, BoltAPI) else list(api)
        self.path = path
        self.headers = dict(headers or {})
        self.query_string = query_string
        self.subprotocols = list(subprotocols or [])
        self.settings = settings or load_settings({}, environ={})
        self.debug = debug
        self._ws: Any = None
        self._handle = 0
        self._close_code: int | None = None
        self._close_reason = ""

    # ---- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> WebSocketTestClient:
        try:
            from websockets.asyncio.client import connect  # noqa: PLC0415 - optional test dependency
            from websockets.exceptions import InvalidStatus  # noqa: PLC0415 - optional test dependency
        except ImportError as exc:  # pragma: no cover - the dev requirements install it
            raise RuntimeError("WebSocketTestClient needs the `websockets` package") from exc
        loop = asyncio.get_running_loop()
        routes = collect_routes(self.apis, self.settings.READY_PATH)
        opts = ServeOptions(host="127.0.0.1", port=0, backlog=64, settings=self.settings, debug=self.debug)
        routes, extra = prepare_django(routes, self.apis, self.settings, self.debug)
        self._lib = lib = native.load()
        cfg = server_config(routes, opts, self.apis, extra)
        self._handle = lib.bolt_new(native.ffi.from_buffer(cfg), len(cfg))
        if self._handle == 0:
            raise BoltConfigError(native.last_error(lib))
        self._hooks = lifespan(self.apis)
        await self._hooks.__aenter__()
        self._dispatcher = Dispatcher(lib, self._handle, routes, loop, self.debug)
        self._fd = lib.bolt_wake_fd(self._handle)
        loop.add_reader(self._fd, self._dispatcher.drain)
        port = lib.bolt_start(self._handle)
        if port < 0:
            await self._shutdown()
            raise RuntimeError(native.last_error(lib))
        #: The loopback port the APIs are served on (HTTP routes answer there too).
        self.port = int(port)
        url = f"ws://127.0.0.1:{port}{self.path}" + (f"?{self.query_string}" if self.query_string else "")
        try:
            self._ws = await connect(
                url,
                additional_headers=self.headers,
                subprotocols=self.subprotocols or None,  # type: ignore[arg-type]
                max_size=None,
                open_timeout=10,
            )
        except InvalidStatus as exc:
            await self._shutdown()
            status = exc.response.status_code
            try:
                detail = json.loads(exc.response.body or b"{}").get("detail", "")
            except ValueError:
                detail = ""
            if status == 404:
                raise ValueError(f"no WebSocket route for {self.path}") from None
            if status in _REFUSALS:
                label = "Origin not allowed" if detail == "Origin not allowed" else _REFUSALS[status]
                raise PermissionError(f"{label} ({status}: {detail})") from None
            raise RuntimeError(f"WebSocket upgrade refused with {status}: {detail}") from None
        except BaseException:
            await self._shutdown()
            raise
        return self

    async def __aexit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._ws is not None:
            await self._ws.close()
        errors = list(self._dispatcher.sockets.errors.values())
        await self._shutdown()
        if errors and typ is None:
            raise errors[0]

    async def _shutdown(self) -> None:
        if not self._handle:
            return
        loop = asyncio.get_running_loop()
        lib, handle = self._lib, self._handle
        dispatcher = getattr(self, "_dispatcher", None)
        # bolt_stop blocks until the sockets closed, which needs this loop: a worker thread.
        await loop.run_in_executor(None, lib.bolt_stop, handle, 2000)
        if dispatcher is not None:
            dispatcher.drain()
            loop.remove_reader(self._fd)
            dispatcher.cancel_all()
            dispatcher.flush()
            dispatcher.sockets.detach()
        if hasattr(self, "_hooks"):
            await self._hooks.__aexit__(None, None, None)
        lib.bolt_free(handle)
        self._handle = 0

    # ---- state --------------------------------------------------------------------------------

    @property
    def accepted(self) -> bool:
        return self._ws is not None

    @property
    def closed(self) -> bool:
        return self._ws is None or self._ws.close_code is not None

    @property
    def close_code(self) -> int | None:
        return None if self._ws is None else self._ws.close_code

    @property
    def accepted_subprotocol(self) -> str | None:
        return None if self._ws is None else self._ws.subprotocol

    # ---- messages -----------------------------------------------------------------------------

    async def send_text(self, data: str) -> None:
        await self._ws.send(data)

    async def send_bytes(self, data: bytes) -> None:
        await self._ws.send(bytes(data))

    async def send_json(self, data: Any, mode: str = "text") -> None:
        encoded = msgspec.json.encode(data)
        await self._ws.send(encoded.decode() if mode == "text" else encoded)

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        from websockets.exceptions import ConnectionClosed as Closed  # noqa: PLC0415 - optional test dependency

        try:
            data = await asyncio.wait_for(self._ws.recv(), timeout)
        except Closed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else 1006
            reason = exc.rcvd.reason if exc.rcvd is not None else ""
            raise ConnectionClosed(code, reason) from None
        if isinstance(data, str):
            return {"type": "websocket.receive", "text": data}
        return {"type": "websocket.receive", "bytes": data}

    async def receive_text(self, timeout: float = 5.0) -> str:
        message = await self.receive(timeout)
        text = message.get("text")
        if text is None:
            raise TypeError("expected a text message, got a binary one")
        return str(text)

    async def receive_bytes(self, timeout: float = 5.0) -> bytes:
        message = await self.receive(timeout)
        data = message.get("bytes")
        if data is None:
            raise TypeError("expected a binary message, got a text one")
        return bytes(data)

    async def receive_json(self, timeout: float = 5.0, mode: str = "text") -> Any:
        message = await self.receive(timeout)
        return msgspec.json.decode(message.get("text") or message.get("bytes") or b"")

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._ws.close(code, reason)

    async def iter_text(self, timeout: float = 5.0) -> AsyncIterator[str]:
        try:
            while True:
                yield await self.receive_text(timeout)
        except ConnectionClosed:
            return

    async def iter_bytes(self, timeout: float = 5.0) -> AsyncIterator[bytes]:
        try:
            while True:
                yield await self.receive_bytes(timeout)
        except ConnectionClosed:
            return

    async def iter_json(self, timeout: float = 5.0) -> AsyncIterator[Any]:
        try:
            while True:
                yield await self.receive_json(timeout)
        except ConnectionClosed:
            return
