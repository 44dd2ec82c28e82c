"""WebSockets through a real runbolt with a real client (the `websockets` package): the
upgrade and its refusals, echo of text/binary/JSON, parameters and auth at the upgrade,
close codes (1007, 1009, 1011, a handler's own), groups, disconnects and shutdown."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from ..conftest import EXAMPLE_PROJECT, TEST_PROJECT, BoltProcess

SECRET = "tests-only-" + "k" * 40


@pytest.fixture(scope="module")
def ws_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ws")


@pytest.fixture(scope="module")
def ws_server(ws_tmp: Path) -> Iterator[BoltProcess]:
    # One worker: the groups test reaches both clients and the HTTP notify in one process.
    p = BoltProcess(
        TEST_PROJECT, ws_tmp / "runbolt.log", "--processes", "1", env={"TEST_MARKER_DIR": str(ws_tmp), "TEST_WS": "1"}
    )
    p.wait_ready()
    yield p
    p.stop()


def ws_url(server: BoltProcess, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


async def refused(url: str, **kwargs: Any) -> tuple[int, Any]:
    """The status and JSON body of a refused upgrade."""
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, **kwargs):
            pass
    response = info.value.response
    return response.status_code, json.loads(response.body or b"null")


async def closed_with(ws: ClientConnection) -> tuple[int | None, str | None]:
    with pytest.raises(ConnectionClosed):
        while True:
            await ws.recv()
    assert ws.close_code is not None or ws.close_reason is None
    return ws.close_code, ws.close_reason


def test_echo_text_and_binary(ws_server: BoltProcess) -> None:
    async def go() -> None:
        async with connect(ws_url(ws_server, "/ws/echo")) as ws:
            for i in range(50):  # more than the flow-control windows
                await ws.send(f"hello {i}")
                assert await ws.recv() == f"hello {i}"
            await ws.send(b"\x00\xff binary")
            assert await ws.recv() == b"\x00\xff binary"
            big = "x" * 200_000
            await ws.send(big)
            assert await ws.recv() == big

    run(go())


def test_pipelined_messages_keep_their_order(ws_server: BoltProcess) -> None:
    async def go() -> None:
        async with connect(ws_url(ws_server, "/ws/echo")) as ws:
            for i in range(200):
                await ws.send(str(i))
            assert [await ws.recv() for _ in range(200)] == [str(i) for i in range(200)]

    run(go())


def test_json(ws_server: BoltProcess) -> None:
    async def go() -> None:
        async with connect(ws_url(ws_server, "/ws/json")) as ws:
            await ws.send(json.dumps({"a": [1, 2]}))
            assert json.loads(await ws.recv()) == {"got": {"a": [1, 2]}}

    run(go())


def test_parameters_are_bound_at_the_upgrade(ws_server: BoltProcess) -> None:
    async def go() -> None:
        async with connect(ws_url(ws_server, "/ws/params/7?token=abc"), additional_headers={"X-Tag": "t1"}) as ws:
            assert json.loads(await ws.recv()) == {
                "room_id": 7,
                "token": "abc",
                "x_tag": "t1",
                "path": "/ws/params/7",
                "client": True,
            }
            assert await closed_with(ws) == (1000, "")
        status, body = await refused(ws_url(ws_server, "/ws/params/seven"))
        assert status == 422
        assert body["detail"][0]["loc"] == ["path", "room_id"]

    run(go())


def test_subprotocol_and_headers_are_in_the_handshake(ws_server: BoltProcess) -> None:
    async def go() -> None:
        async with connect(ws_url(ws_server, "/ws/sub"), subprotocols=["chat.v1", "chat.v2"]) as ws:  # type: ignore[list-item]
            assert ws.subprotocol == "chat.v2"
            assert ws.response is not None and ws.response.headers["x-welcome"] == "yes"
            assert await ws.recv() == "chat.v2"

    run(go())


def test_refusals_before_the_handshake(ws_server: BoltProcess) -> None:
    async def go() -> None:
        assert await refused(ws_url(ws_server, "/ws/reject")) == (403, {"detail": "WebSocket connection refused"})
        assert await refused(ws_url(ws_server, "/ws/nope")) == (404, {"detail": "Not Found"})
        status, body = await refused(ws_url(ws_server, "/ws/auth"))
        assert status == 401 and "detail" in body  # the same refusal as the HTTP routes
        token = jwt.encode({"sub": "42", "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")
        async with connect(
            ws_url(ws_server, "/ws/auth"), additional_headers={"Authorization": f"Bearer {token}"}
        ) as ws:
            assert json.loads(await ws.recv()) == {"user_id": "42"}
        # The opt-in query token (WS_QUERY_TOKEN = "access_token") for header-less clients.
        async with connect(ws_url(ws_server, f"/ws/auth?access_token={token}")) as ws:
            assert json.loads(await ws.recv()) == {"user_id": "42"}
        status, _ = await refused(ws_url(ws_server, "/ws/auth?access_token=garbage"))
        assert status == 401
        # Session-cookie auth (for browsers) is decided before the handshake too.
        status, body = await refused(ws_url(ws_server, "/ws/session"), additional_headers={"Cookie": "sessionid=nope"})
        assert status in (401, 403) and "detail" in body
        # Origin: none and same-origin pass (above); the global CORS list decides the rest.
        async with connect(ws_url(ws_server, "/ws/echo"), origin="https://app.example") as ws:  # type: ignore[arg-type]
            await ws.send("ok")
            assert await ws.recv() == "ok"
        status, body = await refused(ws_url(ws_server, "/ws/echo"), origin="https://evil.example")
        assert (status, body) == (403, {"detail": "Origin not allowed"})
        statuses = []
        for _ in range(4):
            try:
                async with connect(ws_url(ws_server, "/ws/limited")) as ws:
                    await closed_with(ws)
                statuses.append(101)
            except InvalidStatus as exc:
                statuses.append(exc.response.status_code)
        assert statuses[:2] == [101, 101] and 429 in statuses[2:]

    run(go())


def test_plain_request_to_a_websocket_route_is_400(ws_server: BoltProcess) -> None:
    r = httpx.get(ws_server.url + "/ws/echo")
    assert r.status_code == 400
    assert r.json() == {"detail": "Expected WebSocket upgrade request"}


def test_too_big_message_closes_1009(ws_server: BoltProcess) -> None:
    async def go() -> None:
        async with connect(ws_url(ws_server, "/ws/echo"), max_size=None) as ws:
            await ws.send("x" * ((1 << 20) + 1))
            assert (await closed_with(ws))[0] == 1009

    run(go())


def test_invalid_utf8_closes_1007(ws_server: BoltProcess) -> None:
    """A text frame with invalid UTF-8, written by hand (clients refuse to send one)."""
    host, port = ws_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(
            b"GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(1024)
        assert head.startswith(b"HTTP/1.1 101")
        payload = b"\xff\xfe"
        mask = b"\x01\x02\x03\x04"
        s.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        frame = head.split(b"\r\n\r\n", 1)[1]
        while len(frame) < 4:
            frame += s.recv(1024)
        assert frame[0] == 0x88  # a close frame
        assert int.from_bytes(frame[2:4], "big") == 1007


def test_handler_error_closes_1011_and_server_keeps_serving(ws_server: BoltProcess) -> None:
    async def go() -> None:
        async with connect(ws_url(ws_server, "/ws/boom")) as ws:
            await ws.send("go")
            assert await closed_with(ws) == (1011, "Internal error")
        async with connect(ws_url(ws_server, "/ws/bye")) as ws:
            assert await closed_with(ws) == (4001, "bye")
        async with connect(ws_url(ws_server, "/ws/echo")) as ws:
            await ws.send("still here")
            assert await ws.recv() == "still here"

    run(go())
    log = ws_server.log_path.read_text()
    assert "WebSocket handler failed" in log and "handler failed on purpose" in log


def test_disconnect_mid_receive_reaches_the_handler(ws_server: BoltProcess, ws_tmp: Path) -> None:
    marker = ws_tmp / "ws-watch"

    async def go() -> None:
        async with connect(ws_url(ws_server, "/ws/watch")) as ws:
            assert await ws.recv() == "ready"
            await ws.close(4003, "leaving")

    run(go())
    seen = ""
    for _ in range(200):  # the handler writes the marker after the close reached it
        seen = marker.read_text() if marker.exists() else ""
        if seen:
            break
        time.sleep(0.05)
    assert seen == "4003"


def test_groups_fan_out_in_go(ws_server: BoltProcess) -> None:
    async def go() -> None:
        url = ws_url(ws_server, "/ws/chat/lobby")
        async with connect(url + "?name=ann") as a, connect(url + "?name=bob") as b:
            assert await a.recv() == "joined" and await b.recv() == "joined"
            await a.send("hi")
            assert await a.recv() == "ann: hi"
            assert await b.recv() == "ann: hi"
            async with httpx.AsyncClient() as http:
                r = await http.post(ws_server.url + "/ws-notify/lobby", params={"text": "hello all"})
                assert r.status_code == 200
            assert await a.recv() == "server: hello all"
            assert await b.recv() == "server: hello all"
        async with connect(ws_url(ws_server, "/ws/chat/other")) as c:
            assert await c.recv() == "joined"
            await c.send("alone")
            assert await c.recv() == "anon: alone"

    run(go())


def test_metrics_count_sockets(ws_server: BoltProcess) -> None:
    async def one() -> None:
        async with connect(ws_url(ws_server, "/ws/echo")) as ws:
            await ws.send("m")
            assert await ws.recv() == "m"

    run(one())
    for _ in range(100):  # the close is counted when the server side has finished it
        text = httpx.get(ws_server.url + "/metrics").text
        if 'bolt_ws_closes_total{code="1000"}' in text:
            break
        time.sleep(0.05)
    assert "bolt_ws_open_connections" in text
    assert 'bolt_ws_closes_total{code="1000"}' in text
    assert "bolt_ws_messages_in_total" in text


def test_shutdown_closes_open_sockets_with_1012(tmp_path: Path) -> None:
    """SIGTERM: open sockets get 1012 (Service Restart) once the drain deadline passes, and
    the handler sees WebSocketDisconnect(1012)."""
    p = BoltProcess(
        TEST_PROJECT,
        tmp_path / "runbolt.log",
        "--processes",
        "1",
        env={"TEST_MARKER_DIR": str(tmp_path), "DJANGO_BOLT_GRACEFUL_TIMEOUT": "2"},
    )
    p.wait_ready()
    try:

        async def go() -> tuple[int | None, str | None]:
            async with connect(ws_url(p, "/ws/watch")) as ws:
                assert await ws.recv() == "ready"
                p.terminate()
                return await closed_with(ws)

        code, _ = run(go())
        assert code == 1012
        assert p.proc.wait(timeout=20) == 0
    finally:
        p.stop()
    assert (tmp_path / "ws-watch").read_text() == "1012"
    assert "closed with 1012" in p.log_path.read_text()


def test_multi_worker_start_says_groups_are_per_worker(tmp_path: Path) -> None:
    p = BoltProcess(TEST_PROJECT, tmp_path / "runbolt.log", "--workers", "2", env={"TEST_MARKER_DIR": str(tmp_path)})
    try:
        p.wait_ready()
        assert "WebSocket groups are per worker: 2 workers" in p.log()
    finally:
        p.stop()


def test_example_project_echo_and_chat(tmp_path: Path) -> None:
    p = BoltProcess(
        EXAMPLE_PROJECT, tmp_path / "runbolt.log", "--workers", "1", env={"EXAMPLE_DB": str(tmp_path / "ex.sqlite3")}
    )
    try:
        p.wait_ready()

        async def go() -> None:
            async with connect(ws_url(p, "/ws/echo")) as ws:
                await ws.send("text")
                assert await ws.recv() == "text"
                await ws.send(b"bin")
                assert await ws.recv() == b"bin"
            async with connect(ws_url(p, "/ws/chat/r?name=ann")) as ann:
                assert json.loads(await ann.recv()) == {"event": "joined", "name": "ann"}
                async with connect(ws_url(p, "/ws/chat/r?name=bob")) as bob:
                    assert json.loads(await ann.recv()) == {"event": "joined", "name": "bob"}
                    assert json.loads(await bob.recv()) == {"event": "joined", "name": "bob"}
                    await bob.send("hi")
                    assert json.loads(await ann.recv()) == {"name": "bob", "text": "hi"}
                    assert json.loads(await bob.recv()) == {"name": "bob", "text": "hi"}
                assert json.loads(await ann.recv()) == {"event": "left", "name": "bob"}

        run(go())
    finally:
        p.stop()


def test_socket_cap_refuses_503(ws_server: BoltProcess) -> None:
    """WS_MAX_CONNECTIONS = 3 in this server (TEST_WS)."""

    async def go() -> None:
        url = ws_url(ws_server, "/ws/echo")
        async with connect(url), connect(url), connect(url):
            assert await refused(url) == (503, {"detail": "Too many WebSocket connections"})
        # Closed sockets give their places back.
        for _ in range(100):
            try:
                async with connect(url) as ws:
                    await ws.send("back")
                    assert await ws.recv() == "back"
                    return
            except InvalidStatus:
                await asyncio.sleep(0.05)
        raise AssertionError("the cap did not free up")

    run(go())
