"""StreamingResponse, Server-Sent Events and client disconnects on the wire of a real runbolt.
Streamed replies judged whole (sync generators, generator handlers, keep-alive pings, HEAD) are
tested in-process in tests/py/integration/test_streaming.py."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.py.conftest import BoltProcess


def _wait_file(path: Path, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.02)
    return False


def _raw_get(bolt: BoltProcess, target: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", bolt.port), timeout=10)
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock


def _read_until(sock: socket.socket, needle: bytes) -> bytes:
    data = b""
    while needle not in data:
        more = sock.recv(65536)
        if not more:
            break
        data += more
    return data


def test_many_chunks_are_sent_chunked(client: httpx.Client) -> None:
    r = client.get("/stream/chunks?n=500")
    assert r.status_code == 200
    assert r.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in r.headers
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["x-kind"] == "chunks"
    assert r.text == "".join(f"{i}\n" for i in range(500))


def test_chunks_arrive_in_wire_chunks(bolt: BoltProcess) -> None:
    with _raw_get(bolt, "/stream/chunks?n=3") as sock:
        data = _read_until(sock, b"\r\n0\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert body == b"2\r\n0\n\r\n2\r\n1\n\r\n2\r\n2\n\r\n0\r\n\r\n"


def test_http10_client_gets_the_body_until_close(bolt: BoltProcess) -> None:
    """HTTP/1.0 has no chunked coding: the body runs until the server closes."""
    with socket.create_connection(("127.0.0.1", bolt.port), timeout=10) as sock:
        sock.sendall(b"GET /stream/chunks?n=3 HTTP/1.0\r\n\r\n")
        data = b""
        while more := sock.recv(65536):
            data += more
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Transfer-Encoding" not in head and b"Content-Length" not in head
    assert b"Connection: close" in head
    assert body == b"0\n1\n2\n"


def test_large_stream_beyond_the_flow_control_window(client: httpx.Client) -> None:
    r = client.get("/stream/big?n=64&size=65536")
    assert r.status_code == 200
    body = r.content
    assert len(body) == 64 * 65536
    assert all(body[i * 65536] == 65 + i % 26 for i in range(64))


def test_slow_reader_gets_everything(bolt: BoltProcess) -> None:
    """A client that reads slowly: backpressure, then the whole body in order."""
    with httpx.Client(base_url=bolt.url, timeout=30) as c, c.stream("GET", "/stream/big?n=40&size=65536") as r:
        got = bytearray()
        for part in r.iter_bytes():
            got += part
            if len(got) < 512 * 1024:
                time.sleep(0.01)
    assert len(got) == 40 * 65536


def test_sse_is_read_incrementally(bolt: BoltProcess, tmp_path_factory: pytest.TempPathFactory) -> None:
    marker_dir = Path(bolt.log_path).parent
    with httpx.Client(base_url=bolt.url, timeout=10) as c, c.stream("GET", "/stream/sse?tag=inc") as r:
        assert r.headers["content-type"] == "text/event-stream"
        assert r.headers["cache-control"] == "no-cache"
        assert r.headers["x-accel-buffering"] == "no"
        lines = r.iter_lines()
        assert next(lines) == 'data: {"n":1}'
        assert next(lines) == ""
        # The generator waits for this file before its next event: the first event
        # reached us while the handler was still running.
        (marker_dir / "inc-go").write_text("go")
        rest = list(lines)
    assert rest == ["event: update", "id: 7", "retry: 1500", "data: two", "data: lines", "", "data: plain", ""]


def test_sse_keep_alive_pings_over_a_socket(client: httpx.Client) -> None:
    """The Streamer's ping timer: pings while the generator is quiet (0.5 s at a 0.05 s
    interval), none after the stream ended, and the event itself intact."""
    r = client.get("/stream/sse-quiet")
    assert r.headers["content-type"] == "text/event-stream"
    body = r.text
    assert body.startswith(": ping\n\n")
    assert body.endswith('data: {"done":true}\n\n')
    pings = body[: -len('data: {"done":true}\n\n')]
    assert set(pings.split(": ping\n\n")) == {""}  # nothing but whole pings before it
    assert pings.count(": ping") >= 3


@pytest.mark.parametrize("route", ["forever", "forever-sync"])
def test_client_closing_mid_stream_closes_the_generator(bolt: BoltProcess, client: httpx.Client, route: str) -> None:
    marker_dir = Path(bolt.log_path).parent
    tag = f"close-{route}"
    sock = _raw_get(bolt, f"/stream/{route}?tag={tag}")
    assert b"tick" in _read_until(sock, b"tick")
    sock.close()
    assert _wait_file(marker_dir / f"closed-{tag}"), "the generator was not closed"
    assert client.get("/stream/chunks?n=2").text == "0\n1\n"  # still serving


def test_exception_mid_stream_truncates_the_body(bolt: BoltProcess, client: httpx.Client) -> None:
    with _raw_get(bolt, "/stream/boom") as sock:
        data = b""
        while more := sock.recv(65536):
            data += more
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"first\n" in body and b"second\n" in body
    assert not body.endswith(b"0\r\n\r\n"), "a failed stream must not look complete"
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/stream/boom")
    assert "generator failed mid-stream" in bolt.log()
    assert client.get("/stream/chunks?n=1").text == "0\n"


def test_bad_chunk_type_is_logged_and_truncates(bolt: BoltProcess, client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/stream/bad-chunk")
    assert "must yield str or bytes, not int" in bolt.log()


def test_client_disconnect_cancels_a_waiting_handler(bolt: BoltProcess, client: httpx.Client) -> None:
    marker_dir = Path(bolt.log_path).parent
    before = client.get("/stream/tasks").json()["tasks"]
    sock = _raw_get(bolt, "/stream/hang?tag=gone")
    assert _wait_file(marker_dir / "started-gone")
    sock.close()
    assert _wait_file(marker_dir / "cancelled-gone"), "the handler's task was not cancelled"
    deadline = time.monotonic() + 10
    while client.get("/stream/tasks").json()["tasks"] > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get("/stream/tasks").json()["tasks"] <= before, "the cancelled handler left a task behind"


def test_sigterm_with_an_open_stream_ends_it_and_exits(start_bolt: Callable[..., BoltProcess], tmp_path: Path) -> None:
    server = start_bolt(env={"DJANGO_BOLT_GRACEFUL_TIMEOUT": "1"})
    sock = _raw_get(server, "/stream/forever?tag=term")
    assert b"tick" in _read_until(sock, b"tick")
    server.terminate()
    assert server.proc.wait(timeout=20) == 0
    data = b""
    while more := sock.recv(65536):
        data += more
    sock.close()
    assert not data.endswith(b"0\r\n\r\n"), "a stream cut by shutdown must not look complete"
    assert (tmp_path / "closed-term").exists(), "the generator was not closed at shutdown"


def _read_to_close(sock: socket.socket) -> bytes:
    data = b""
    while more := sock.recv(65536):
        data += more
    return data


def test_a_stream_is_sent_by_its_own_goroutine_and_closes_the_connection(bolt: BoltProcess) -> None:
    """Streamed replies leave fasthttp after the head (libbolt/server/stream.go,
    detachStream): the head, built after every middleware, says chunked and Connection:
    close, the body is framed by the stream itself and the socket closes after the last
    chunk."""
    with socket.create_connection(("127.0.0.1", bolt.port), timeout=10) as sock:
        sock.sendall(b"GET /stream/chunks?n=3 HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n\r\n")
        data = _read_to_close(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Transfer-Encoding: chunked" in head and b"Connection: close" in head
    assert b"Content-Length" not in head
    assert b"Access-Control-Allow-Origin: https://app.example" in head  # CORS runs after the handler
    assert b"x-kind: chunks" in head.lower()
    assert body == b"2\r\n0\n\r\n2\r\n1\n\r\n2\r\n2\n\r\n0\r\n\r\n"


def test_open_streams_keep_their_place_under_max_connections(start_bolt: Callable[..., BoltProcess]) -> None:
    """A detached stream still counts as an open connection until its body ends, once."""
    server = start_bolt(env={"TEST_MAX_CONNECTIONS": "2"})
    streams: list[socket.socket] = []
    deadline = time.monotonic() + 10
    try:
        while len(streams) < 2:  # the readiness probe's connection may linger briefly
            sock = _raw_get(server, "/stream/forever?tag=cap")
            if b"tick" in _read_until(sock, b"tick"):
                streams.append(sock)
                continue
            sock.close()
            assert time.monotonic() < deadline, "never got two streams open"
            time.sleep(0.05)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            assert _read_to_close(sock).startswith(b"HTTP/1.1 503 "), "a third connection was served"
        streams.pop().close()  # its place comes back once the server notices (next tick's write)
        while True:
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                sock.sendall(b"GET /stream/chunks?n=1 HTTP/1.1\r\nHost: t\r\n\r\n")
                reply = _read_to_close(sock)
            if reply.startswith(b"HTTP/1.1 200 "):
                break
            assert time.monotonic() < deadline + 10, "the closed stream's place never came back"
            time.sleep(0.1)
        # The finished stream gave its place back too: another one fits, and the cap still holds.
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"GET /stream/chunks?n=1 HTTP/1.1\r\nHost: t\r\n\r\n")
            assert _read_to_close(sock).startswith(b"HTTP/1.1 200 ")
    finally:
        for sock in streams:
            sock.close()


def _metric(client: httpx.Client, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        series, _, v = line.rpartition(" ")
        if series == name:
            return float(v)
    return 0.0


def _dechunk(body: bytes) -> list[bytes]:
    """The chunks of a chunked body, the last (empty) one excluded; asserts the framing."""
    chunks = []
    while True:
        size_line, sep, body = body.partition(b"\r\n")
        assert sep, "a chunk-size line without CRLF"
        size = int(size_line, 16)
        if size == 0:
            assert body == b"\r\n", "bytes after the last chunk"
            return chunks
        chunks.append(body[:size])
        assert body[size : size + 2] == b"\r\n"
        body = body[size + 2 :]


def test_stream_chunks_go_to_the_socket_from_bolt_respond(bolt: BoltProcess, client: httpx.Client) -> None:
    """Once a detached stream's head is out, a chunk is written to the socket from inside
    bolt_respond (libbolt/bridge/stream_direct.go) when nothing of the stream is queued:
    /metrics counts it, and the body is still exact and in order (pings, the event, the
    last chunk, the close)."""
    name = "bolt_bridge_stream_chunks_direct_total"
    before = _metric(client, name)
    with _raw_get(bolt, "/stream/sse-quiet") as sock:
        data = _read_to_close(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close" in head
    chunks = _dechunk(body)
    assert chunks[-1] == b'data: {"done":true}\n\n'
    assert len(chunks) > 1 and set(chunks[:-1]) == {b": ping\n\n"}
    assert _metric(client, name) - before >= 1
