"""FRONT_END: libbolt's epoll loops read the sockets ("loop", the default on Linux) or
fasthttp does ("fasthttp"). Through a real runbolt on loopback: plain requests served by the
loops (their counters in /metrics), pipelining with a request the loops hand on in the
middle, a body, a WebSocket (handed on to fasthttp's code), the same requests with
FRONT_END = "fasthttp", and the setting refused at start-up when it is not a front end."""

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


def loop_counters(c: httpx.Client) -> tuple[float, float]:
    """(requests the loops served, connections they handed on) from /metrics."""
    values: dict[str, float] = {}
    for line in c.get("/metrics").text.splitlines():
        if line.startswith("bolt_loop_"):
            name, _, v = line.partition(" ")
            values[name] = float(v)
    return values["bolt_loop_requests_served_total"], values["bolt_loop_connections_handed_on_total"]


def test_body_served_by_the_loop(loop_server: BoltProcess) -> None:
    with httpx.Client(base_url=loop_server.url) as c:
        served = loop_counters(c)[0]
        with httpx.Client(base_url=loop_server.url) as fresh:
            r = fresh.post("/typed/pydantic", json={"name": "a", "price": 1.5})
            assert (r.status_code, r.json()) == (201, {"name": "a", "price": 1.5})
            bad = fresh.post("/typed/pydantic", json={"name": "a"})
            assert bad.status_code == 422
        assert loop_counters(c)[0] == served + 2


def test_plain_requests(loop_server: BoltProcess) -> None:
    with httpx.Client(base_url=loop_server.url) as c:
        served, handed = loop_counters(c)  # /metrics itself is fasthttp's: handed on
        with httpx.Client(base_url=loop_server.url) as fresh:
            for _ in range(3):  # keep-alive
                assert fresh.get("/hello").json() == {"message": "Hello, World!"}
            assert fresh.get("/items/42", params={"q": "abc"}).json() == {"item_id": 42, "q": "abc"}
        after_served, after_handed = loop_counters(c)
        assert after_served == served + 4
        assert after_handed == handed
        with httpx.Client(base_url=loop_server.url) as fresh:
            assert fresh.get("/nowhere").status_code == 404
        assert loop_counters(c)[1] == after_handed + 1


@pytest.fixture(scope="module")
def fasthttp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoltProcess]:
    tmp = tmp_path_factory.mktemp("front_fasthttp")
    env = {"TEST_MARKER_DIR": str(tmp), "TEST_BOLT_SETTINGS": json.dumps({"FRONT_END": "fasthttp"})}
    p = BoltProcess(TEST_PROJECT, tmp / "runbolt.log", "--processes", "1", env=env)
    p.wait_ready()
    yield p
    p.stop()


def test_fasthttp_front_end_serves_without_loops(fasthttp_server: BoltProcess) -> None:
    with httpx.Client(base_url=fasthttp_server.url) as c:
        assert c.get("/hello").json() == {"message": "Hello, World!"}
        r = c.post("/typed/pydantic", json={"name": "a", "price": 1.5})
        assert (r.status_code, r.json()) == (201, {"name": "a", "price": 1.5})
        assert "bolt_loop_requests_served_total" not in c.get("/metrics").text


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
