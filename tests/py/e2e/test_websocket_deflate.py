"""permessage-deflate (``WS_COMPRESSION``) through a real runbolt with the ``websockets``
client, which offers it by default: negotiated only when the setting is on, messages really
compressed on the wire (RSV1 set, as a raw socket sees it), broadcasts to compressing and
plain members, and the size limit counted on the inflated message."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from ..conftest import TEST_PROJECT, BoltProcess


def start(folder: Path, settings: dict[str, Any]) -> BoltProcess:
    env = {"TEST_MARKER_DIR": str(folder), "TEST_WS": "1", "TEST_BOLT_SETTINGS": json.dumps(settings)}
    p = BoltProcess(TEST_PROJECT, folder / "runbolt.log", "--processes", "1", env=env)
    p.wait_ready()
    return p


@pytest.fixture(scope="module")
def deflate_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoltProcess]:
    p = start(tmp_path_factory.mktemp("wsz"), {"WS_COMPRESSION": True})
    yield p
    p.stop()


def ws_url(server: BoltProcess, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_negotiated_and_echoed(deflate_server: BoltProcess) -> None:
    async def go() -> None:
        async with connect(ws_url(deflate_server, "/ws/echo")) as ws:
            assert ws.response is not None
            assert "permessage-deflate" in ws.response.headers.get("Sec-WebSocket-Extensions", "")
            text = "compress me please " * 2000
            for _ in range(20):  # past the flow-control windows
                await ws.send(text)
                assert await ws.recv() == text
            blob = bytes(range(256)) * 100
            await ws.send(blob)
            assert await ws.recv() == blob

    run(go())


def test_off_by_default(tmp_path: Path) -> None:
    server = start(tmp_path, {})
    try:

        async def go() -> None:
            async with connect(ws_url(server, "/ws/echo")) as ws:  # the client offers it
                assert ws.response is not None
                assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
                await ws.send("plain")
                assert await ws.recv() == "plain"

        run(go())
    finally:
        server.stop()


def read_exact(sock: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        assert chunk, "connection closed early"
        out += chunk
    return out


def test_frames_on_the_wire_are_compressed(deflate_server: BoltProcess) -> None:
    """A raw client: the echo of a compressible message comes back with RSV1 set and a
    payload much smaller than the text, which inflates back to it."""
    host, port = deflate_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                f"GET /ws/echo HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101")
        assert b"permessage-deflate" in head.lower()
        text = ("abcdefgh" * 1000).encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(text))
        sock.sendall(bytes([0x81, 0x80 | 126]) + len(text).to_bytes(2, "big") + mask + masked)
        b0, b1 = read_exact(sock, 2)
        assert b0 & 0x0F == 1 and b0 & 0x80, f"first byte {b0:#x}"
        assert b0 & 0x40, "RSV1 (compressed) not set"
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(read_exact(sock, 2), "big")
        payload = read_exact(sock, n)
        assert n < len(text) // 10
        assert zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff") == text


def test_broadcast_reaches_compressing_and_plain_members(deflate_server: BoltProcess) -> None:
    async def go() -> None:
        url = ws_url(deflate_server, "/ws/chat/zroom")
        async with connect(url + "?name=zed") as a, connect(url + "?name=pam", compression=None) as b:
            assert b.response is not None and b.response.headers.get("Sec-WebSocket-Extensions") is None
            assert await a.recv() == "joined" and await b.recv() == "joined"
            long = "hello " * 500
            await a.send(long)
            assert await a.recv() == f"zed: {long}"
            assert await b.recv() == f"zed: {long}"

    run(go())


def test_inflated_size_is_limited(deflate_server: BoltProcess) -> None:
    """2 MiB of one letter is a few KiB on the wire: over WS_MAX_MESSAGE_SIZE once inflated."""

    async def go() -> None:
        async with connect(ws_url(deflate_server, "/ws/echo"), max_size=None) as ws:
            await ws.send("x" * (2 << 20))
            with pytest.raises(ConnectionClosed):
                while True:
                    await ws.recv()
            assert ws.close_code == 1009

    run(go())
