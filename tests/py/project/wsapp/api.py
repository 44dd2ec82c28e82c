"""WebSocket routes for tests/py/e2e/test_websocket.py (and the in-process WebSocketTestClient)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from django_bolt import BoltAPI, WebSocket, WebSocketDisconnect
from django_bolt.auth import IsAuthenticated, JWTAuthentication, SessionAuthentication
from django_bolt.middleware import rate_limit
from django_bolt.param_functions import Header
from django_bolt.websocket import WebSocketClose

api = BoltAPI()


def _mark(name: str, text: str) -> None:
    """Record what a handler saw for the test to read (TEST_MARKER_DIR)."""
    folder = os.environ.get("TEST_MARKER_DIR")
    if folder:
        Path(folder, name).write_text(text)


@api.websocket("/ws/echo")
async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if "text" in message:
            await websocket.send_text(message["text"])
        else:
            await websocket.send_bytes(message["bytes"])


@api.websocket("/ws/json")
async def echo_json(websocket: WebSocket) -> None:
    await websocket.accept()
    async for data in websocket.iter_json():
        await websocket.send_json({"got": data})


@api.websocket("/ws/params/{room_id}")
async def params(
    websocket: WebSocket, room_id: int, token: str | None = None, x_tag: Annotated[str, Header()] = "none"
) -> None:
    await websocket.accept()
    await websocket.send_json(
        {"room_id": room_id, "token": token, "x_tag": x_tag, "path": websocket.path, "client": bool(websocket.client)}
    )
    await websocket.close()


@api.websocket("/ws/auth", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def authed(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"user_id": websocket.auth.get("user_id")})
    await websocket.close()


@api.websocket("/ws/session", auth=[SessionAuthentication()], guards=[IsAuthenticated()])
async def session_only(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.close()


@api.websocket("/ws/limited")
@rate_limit(rps=1, burst=2)
async def limited(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.close()


@api.websocket("/ws/sub")
async def sub(websocket: WebSocket) -> None:
    await websocket.accept(subprotocol="chat.v2", headers=[("x-welcome", "yes")])
    await websocket.send_text(websocket.subprotocol or "")
    await websocket.close()


@api.websocket("/ws/reject")
async def reject(websocket: WebSocket) -> None:
    await websocket.close()


@api.websocket("/ws/boom")
async def boom(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.receive_text()
    raise RuntimeError("handler failed on purpose")


@api.websocket("/ws/bye")
async def bye(websocket: WebSocket) -> None:
    await websocket.accept()
    raise WebSocketClose(4001, "bye")


@api.websocket("/ws/watch")
async def watch(websocket: WebSocket) -> None:
    """Waits in receive() and records how the connection ended."""
    await websocket.accept()
    await websocket.send_text("ready")
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect as exc:
        _mark("ws-watch", str(exc.code))


@api.websocket("/ws/chat/{room}")
async def chat(websocket: WebSocket, room: str, name: str = "anon") -> None:
    await websocket.accept()
    group = f"room:{room}"
    await websocket.join(group)
    await websocket.send_text("joined")
    async for text in websocket.iter_text():
        await websocket.broadcast(group, f"{name}: {text}")


@api.post("/ws-notify/{room}")
async def notify(room: str, text: str) -> dict[str, bool]:
    await api.broadcast(f"room:{room}", f"server: {text}")
    return {"sent": True}


@api.websocket("/ws/group/{name}")
async def group_member(websocket: WebSocket, name: str) -> None:
    """tests/py/e2e/test_websocket_redis.py: says which worker it is on, joins group `name`
    and broadcasts every text it receives to the group (through Redis with STATE)."""
    await websocket.accept()
    await websocket.join(name)
    await websocket.send_text(str(os.getpid()))
    async for text in websocket.iter_text():
        await websocket.broadcast(name, text)
