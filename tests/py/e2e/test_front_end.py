"""FRONT_END = "loop": libbolt's epoll loops read the sockets (Linux). Through a real runbolt
on loopback: plain requests, pipelining, a body, a WebSocket (handed on to fasthttp's
code), and the setting refused at start-up when it is not a front end."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from ..conftest import TEST_PROJECT, BoltProcess, run_manage


@pytest.fixture(scope="module")
def loop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoltProcess]:
    tmp = tmp_path_factory.mktemp("front")
    env = {"TEST_MARKER_DIR": str(tmp), "TEST_WS": "1", "TEST_BOLT_SETTINGS": json.dumps({"FRONT_END": "loop"})}
    p = BoltProcess(TEST_PROJECT, tmp / "runbolt.log", "--processes", "1", env=env)
    p.wait_ready()
    yield p
    p.stop()


def test_plain_requests(loop_server: BoltProcess) -> None:
    with httpx.Client(base_url=loop_server.url) as c:
        for _ in range(3):  # keep-alive
            assert c.get("/hello").json() == {"message": "Hello, World!"}
        assert c.get("/items/42", params={"q": "abc"}).json() == {"item_id": 42, "q": "abc"}
        assert c.get("/nowhere").status_code == 404


def test_pipelined_requests_answered_in_order(loop_server: BoltProcess) -> None:
    host, port = loop_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        raw = b"".join(f"GET /items/{i} HTTP/1.1\r\nHost: t\r\n\r\n".encode() for i in range(5))
        s.sendall(raw + b"GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    bodies = [part.split(b"\r\n\r\n", 1)[1] for part in data.split(b"HTTP/1.1 ")[1:]]
    assert [json.loads(b)["item_id"] for b in bodies[:5]] == [0, 1, 2, 3, 4]
    assert json.loads(bodies[5]) == {"message": "Hello, World!"}


def test_websocket_through_the_loop(loop_server: BoltProcess) -> None:
    async def talk() -> str:
        async with connect(loop_server.url.replace("http://", "ws://") + "/ws/echo") as ws:
            await ws.send("ping")
            return str(await ws.recv())

    assert asyncio.run(talk()) == "ping"


def test_unknown_front_end_fails_start_up(tmp_path: Path) -> None:
    env = {"TEST_MARKER_DIR": str(tmp_path), "TEST_BOLT_SETTINGS": json.dumps({"FRONT_END": "epoll"})}
    done = run_manage("runbolt", "--port", "0", env=env, timeout=60)
    assert done.returncode != 0
    assert "FRONT_END" in done.stdout + done.stderr
