"""WebSocket groups across workers through Redis pub/sub (DJANGO_BOLT["STATE"]): clients
connected to two different workers of one `runbolt --workers 2` join one group, and one
broadcast reaches every one of them exactly once; with Redis stopped mid-test, local
delivery continues, and when Redis returns the workers resubscribe. Redis is the
throwaway server of tests/redis/run.sh (REDIS_URL), or the test's own redis-server when
it must stop it."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from ..conftest import TEST_PROJECT, BoltProcess
from .test_shared_state import OwnRedis, _require

Start = Callable[..., BoltProcess]


def _on_db(url: str, db: int) -> str:
    """The URL on database db: pub/sub channels carry the number (bolt:ws:<db>), so this
    test's workers do not hear other tests' broadcasts on the shared Redis."""
    return url.rsplit("/", 1)[0] + f"/{db}"


def _numsub(url: str, channel: str) -> int:
    """PUBSUB NUMSUB over a raw socket: how many processes subscribed to channel."""
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    cmd = f"*3\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n${len(channel)}\r\n{channel}\r\n"
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(cmd.encode())
        reply = b""
        while reply.count(b"\r\n") < 4:
            chunk = s.recv(4096)
            assert chunk, "Redis closed the connection"
            reply += chunk
    return int(reply.split(b"\r\n")[3].lstrip(b":"))


def _wait_subscribed(url: str, db: int, want: int, server: BoltProcess) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if _numsub(url, f"bolt:ws:{db}") >= want:
                return
        except OSError:
            pass
        assert server.proc.poll() is None, server.log()
        assert time.monotonic() < deadline, f"workers never subscribed:\n{server.log()}"
        time.sleep(0.05)


def _serve(start_bolt: Start, url: str) -> BoltProcess:
    return start_bolt(TEST_PROJECT, "--workers", "2", env={"DJANGO_BOLT_STATE": url})


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))


async def _members(server: BoltProcess, group: str) -> tuple[list[ClientConnection], dict[int, list[ClientConnection]]]:
    """Connects until both workers have at least two members of group (SO_REUSEPORT
    spreads new connections); every connection is a member."""
    url = server.url.replace("http://", "ws://") + f"/ws/group/{group}"
    conns: list[ClientConnection] = []
    by_pid: dict[int, list[ClientConnection]] = {}
    for _ in range(80):
        ws = await connect(url)
        conns.append(ws)
        by_pid.setdefault(int(await ws.recv()), []).append(ws)
        if len(by_pid) == 2 and all(len(v) >= 2 for v in by_pid.values()):
            return conns, by_pid
    raise AssertionError(f"80 connections did not reach both workers: {list(by_pid)}")


async def _close(conns: list[ClientConnection]) -> None:
    await asyncio.gather(*(ws.close() for ws in conns))


def test_broadcast_reaches_members_on_both_workers_once(start_bolt: Start) -> None:
    url = _on_db(_require("REDIS_URL", os.environ.get("REDIS_URL")), 7)
    server = _serve(start_bolt, url)
    _wait_subscribed(url, 7, 2, server)
    assert "WebSocket groups are per worker" not in server.log()

    async def go() -> None:
        conns, by_pid = await _members(server, "g1")
        (pid_a, on_a), (pid_b, on_b) = by_pid.items()
        # One broadcast from a member on each worker, then a third: every member reads
        # exactly these three in order, so a duplicate would show in the place of the next.
        await on_a[0].send("from a")
        assert [await ws.recv() for ws in conns] == ["from a"] * len(conns)
        await on_b[0].send("from b")
        assert [await ws.recv() for ws in conns] == ["from b"] * len(conns)
        await on_a[1].send("last")
        assert [await ws.recv() for ws in conns] == ["last"] * len(conns)
        await _close(conns)

    run(go())
    metrics = [httpx.get(server.url + "/metrics", headers={"Connection": "close"}).text for _ in range(6)]
    assert any("bolt_ws_broker_published_total" in m for m in metrics)
    assert all('bolt_state_failures_total{feature="ws_groups"} 0' in m for m in metrics)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    r = OwnRedis(tmp_path)
    r.start()
    yield r
    r.stop()


def test_redis_away_local_delivery_continues_then_resubscribes(start_bolt: Start, own_redis: OwnRedis) -> None:
    server = _serve(start_bolt, own_redis.url)
    _wait_subscribed(own_redis.url, 0, 2, server)

    async def go() -> None:
        conns, by_pid = await _members(server, "g2")
        (_, on_a), (_, on_b) = by_pid.items()
        own_redis.stop()
        # Redis away: the sending worker's own members still get the broadcast.
        await on_a[0].send("during")
        assert [await ws.recv() for ws in on_a] == ["during"] * len(on_a)
        own_redis.start()
        await asyncio.to_thread(_wait_subscribed, own_redis.url, 0, 2, server)
        # Back: both workers again; the other worker's members never got "during" (it
        # was dropped, not delayed), so "back" is the next thing they read.
        await on_b[0].send("back")
        assert [await ws.recv() for ws in conns] == ["back"] * len(conns)
        await _close(conns)

    run(go())
    log = server.log()
    assert "ws_groups" in log and "subscribed to bolt:ws:0 again" in log, log
