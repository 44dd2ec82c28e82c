"""django_bolt.testing.WebSocketTestClient: real frames through libbolt on loopback, in the
test's own event loop. The API is defined here; the wire-level cases against a real runbolt
are in tests/py/e2e/test_websocket.py."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import httpx
import pytest

from django_bolt import BoltAPI, Router, WebSocket, WebSocketDisconnect
from django_bolt.auth import IsAuthenticated, JWTAuthentication
from django_bolt.exceptions import BoltConfigError, HTTPException
from django_bolt.param_functions import Depends, Header
from django_bolt.testing import ConnectionClosed, WebSocketTestClient
from django_bolt.websocket import WS_1000_NORMAL_CLOSURE, CloseCode, WebSocketState

api = BoltAPI()
chat = Router(prefix="/chat")


async def nickname(name: str = "anon") -> str:
    return name.upper()


@api.websocket("/echo")
async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text)


@api.websocket("/json/{n}")
async def json_echo(ws: WebSocket, n: int, x_scale: Annotated[int, Header()] = 1) -> None:
    await ws.accept()
    data = await ws.receive_json()
    await ws.send_json({"n": n * x_scale, "data": data}, mode="binary")


@api.websocket("/state")
async def state(websocket: WebSocket) -> None:
    before = websocket.state
    await websocket.accept()
    await websocket.accept()  # idempotent
    await websocket.send_text(f"{before.name} {websocket.state.name} {websocket.query_params}")
    await websocket.close()
    await websocket.close()  # no-op


@api.websocket("/deps")
async def deps(websocket: WebSocket, who: str = Depends(nickname)) -> None:
    await websocket.accept()
    await websocket.send_text(who)


@api.websocket("/fail")
async def fail(websocket: WebSocket) -> None:
    await websocket.accept()
    raise ValueError("broken handler")


@api.websocket("/private", auth=[JWTAuthentication(secret="s" * 40)], guards=[IsAuthenticated()])
async def private(websocket: WebSocket) -> None:
    await websocket.accept()


@api.websocket("/teapot")
async def teapot(websocket: WebSocket) -> None:
    raise HTTPException(418, "short and stout")  # before accept: the HTTP error reply


@api.websocket("/crash-early")
async def crash_early(websocket: WebSocket) -> None:
    raise ValueError("before accept")


@api.websocket("/silent")
async def silent(websocket: WebSocket) -> None:
    return  # never accepted: 403


@chat.websocket("/{room}")
async def room(websocket: WebSocket, room: str) -> None:
    await websocket.accept()
    await websocket.join(room)
    await websocket.send_text("joined")
    try:
        while True:
            await websocket.broadcast(room, await websocket.receive_text())
    except WebSocketDisconnect:
        pass


@api.websocket("/long-bye")
async def long_bye(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.close(4002, "é" * 100)  # 200 bytes: cut to whole characters within 123


@api.post("/announce/{room}", sync_to_thread=True)
def announce(room: str) -> dict[str, bool]:
    from django_bolt._runtime.websocket import broadcast  # noqa: PLC0415 - the thread-safe path under test

    broadcast(room, "from a thread")
    return {"ok": True}


api.include_router(chat)


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_echo_and_close() -> None:
    async def go() -> None:
        async with WebSocketTestClient(api, "/echo") as ws:
            assert ws.accepted and not ws.closed
            for word in ("a", "b", "c"):
                await ws.send_text(word)
                assert await ws.receive_text() == word
            await ws.close()
            assert ws.closed and ws.close_code == WS_1000_NORMAL_CLOSURE

    run(go())


def test_parameters_headers_and_binary_json() -> None:
    async def go() -> None:
        async with WebSocketTestClient(api, "/json/3", headers={"x-scale": "2"}) as ws:
            await ws.send_json({"k": 1})
            assert await ws.receive_json() == {"n": 6, "data": {"k": 1}}

    run(go())


def test_state_query_and_server_close() -> None:
    async def go() -> None:
        async with WebSocketTestClient(api, "/state", query_string="a=1&b=2&b=3") as ws:
            assert await ws.receive_text() == "CONNECTING CONNECTED {'a': '1', 'b': ['2', '3']}"
            with pytest.raises(ConnectionClosed) as info:
                await ws.receive_text()
            assert info.value.code == CloseCode.NORMAL

    run(go())


def test_dependencies() -> None:
    async def go() -> None:
        async with WebSocketTestClient(api, "/deps", query_string="name=zed") as ws:
            assert await ws.receive_text() == "ZED"

    run(go())


def test_handler_exception_closes_1011_and_is_raised_on_exit() -> None:
    async def go() -> None:
        with pytest.raises(ValueError, match="broken handler"):
            async with WebSocketTestClient(api, "/fail") as ws:
                with pytest.raises(ConnectionClosed) as info:
                    await ws.receive()
                assert info.value.code == 1011

    run(go())


def test_refusals() -> None:
    async def go() -> None:
        with pytest.raises(ValueError):
            async with WebSocketTestClient(api, "/nowhere"):
                pass
        with pytest.raises(PermissionError, match="Authentication required"):
            async with WebSocketTestClient(api, "/private"):
                pass
        with pytest.raises(PermissionError, match="Origin not allowed"):
            async with WebSocketTestClient(api, "/echo", headers={"origin": "https://elsewhere.example"}):
                pass

    run(go())


def test_handlers_that_end_before_accept_answer_http() -> None:
    """docs/websockets.md, "How a handler ends": no handshake, an HTTP reply instead."""

    async def go() -> None:
        with pytest.raises(RuntimeError, match="refused with 418: short and stout"):
            async with WebSocketTestClient(api, "/teapot"):
                pass
        with pytest.raises(RuntimeError, match="refused with 500"):
            async with WebSocketTestClient(api, "/crash-early"):
                pass
        with pytest.raises(PermissionError, match="403"):
            async with WebSocketTestClient(api, "/silent"):
                pass

    run(go())


def test_router_prefix_and_groups() -> None:
    async def go() -> None:
        async with WebSocketTestClient(api, "/chat/r1") as ws:
            assert await ws.receive_text() == "joined"
            await ws.send_text("hello")
            assert await ws.receive_text() == "hello"  # the sender is a member too

    run(go())


def test_broadcast_from_a_sync_handler_thread() -> None:
    async def go() -> None:
        async with WebSocketTestClient(api, "/chat/r2") as ws:
            assert await ws.receive_text() == "joined"
            async with httpx.AsyncClient() as http:
                r = await http.post(f"http://127.0.0.1:{ws.port}/announce/r2")
                assert r.json() == {"ok": True}
            assert await ws.receive_text() == "from a thread"

    run(go())


def test_close_reason_is_cut_on_a_character_boundary() -> None:
    async def go() -> None:
        async with WebSocketTestClient(api, "/long-bye") as ws:
            with pytest.raises(ConnectionClosed) as info:
                await ws.receive()
            assert info.value.code == 4002
            assert info.value.reason == "é" * 61

    run(go())


def test_state_enum_and_sync_handlers_refused() -> None:
    assert [s.name for s in WebSocketState] == ["CONNECTING", "CONNECTED", "DISCONNECTED"]
    with pytest.raises(BoltConfigError, match="async def"):

        @api.websocket("/sync")
        def sync(websocket: WebSocket) -> None:  # type: ignore[type-var]
            pass

    with pytest.raises(BoltConfigError, match="WebSocket` argument"):

        @api.websocket("/nosocket")
        async def nosocket(x: int) -> None:
            pass
