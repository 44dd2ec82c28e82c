"""Slow and vanishing clients (shared/reliability.md "Slow, idle and too many clients"):
each is cut off at its timeout while other clients are served normally."""

from __future__ import annotations

import json
import socket
import time

import httpx

from ..conftest import BoltProcess

TIMEOUTS = json.dumps({"READ_TIMEOUT": 1, "WRITE_TIMEOUT": 1})


def read_all(s: socket.socket) -> bytes:
    s.settimeout(10)
    chunks = []
    while chunk := s.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_slow_body_gets_408_and_close_while_others_are_served(start_bolt: object) -> None:
    bolt: BoltProcess = start_bolt(env={"TEST_BOLT_SETTINGS": TIMEOUTS})  # type: ignore[operator]
    s = socket.create_connection(("127.0.0.1", bolt.port))
    s.sendall(b"POST /obs/status/201 HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789")
    with httpx.Client(base_url=bolt.url, timeout=10) as c:
        assert c.get("/hello").status_code == 200  # served while the body trickles
    reply = read_all(s)  # ends: the server closed the connection
    s.close()
    assert reply.startswith(b"HTTP/1.1 408")
    assert b'{"detail":"Request timeout"}' in reply


def test_slow_reader_is_cut_off_at_the_write_timeout(start_bolt: object) -> None:
    bolt: BoltProcess = start_bolt(env={"TEST_BOLT_SETTINGS": TIMEOUTS})  # type: ignore[operator]
    s = socket.create_connection(("127.0.0.1", bolt.port))
    # 32 MB: far more than the socket buffers on both sides hold, and we do not read.
    s.sendall(b"GET /obs/huge?n=32000000 HTTP/1.1\r\nHost: t\r\n\r\n")
    with httpx.Client(base_url=bolt.url, timeout=10) as c:
        assert c.get("/hello").status_code == 200  # the stalled writer holds nobody up
        time.sleep(2.5)  # past WRITE_TIMEOUT with the client reading nothing
        got = read_all(s)  # the server gave up: end of stream before the whole body
        s.close()
        head, _, body = got.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") and b"Content-Length: 32000000" in head
        assert len(body) < 32_000_000
        metrics = c.get("/metrics").text
        assert any(
            line.startswith("bolt_response_write_errors_total ") and float(line.split()[1]) >= 1
            for line in metrics.splitlines()
        )
        assert c.get("/hello").json() == {"message": "Hello, World!"}


def test_client_gone_while_handler_awaits_cancels_the_task(bolt: BoltProcess, client: httpx.Client) -> None:
    marker = bolt.log_path.parent / "gone-1"  # the module server's TEST_MARKER_DIR
    s = socket.create_connection(("127.0.0.1", bolt.port))
    s.sendall(b"GET /obs/wait/gone-1 HTTP/1.1\r\nHost: t\r\nX-Request-ID: gone-1\r\n\r\n")
    deadline = time.monotonic() + 10
    while not marker.exists():
        assert time.monotonic() < deadline, "the handler never started"
        time.sleep(0.02)
    s.close()
    # 499 in the metrics below tells a disconnect from the 3 s handler timeout.
    while (state := marker.read_text()) != "cancelled":
        assert state == "started", state  # one read per look: the file may change between two
        assert time.monotonic() < deadline, "the task was never cancelled"
        time.sleep(0.02)
    metrics = client.get("/metrics").text
    assert 'bolt_requests_total{route="/obs/wait/{name}",method="GET",status="499"} 1' in metrics
    assert client.get("/hello").status_code == 200


def test_nothing_is_written_to_a_client_that_went_away(bolt: BoltProcess, client: httpx.Client) -> None:
    """A client that shut down its sending side counts as gone; it can still read, so it
    sees that the server closed the connection without writing a reply."""
    marker = bolt.log_path.parent / "gone-2"
    s = socket.create_connection(("127.0.0.1", bolt.port))
    s.sendall(b"GET /obs/wait/gone-2 HTTP/1.1\r\nHost: t\r\n\r\n")
    deadline = time.monotonic() + 10
    while not marker.exists():
        assert time.monotonic() < deadline, "the handler never started"
        time.sleep(0.02)
    s.shutdown(socket.SHUT_WR)
    assert read_all(s) == b""  # closed, and not one byte of a response
    s.close()
    while marker.read_text() != "cancelled":
        assert time.monotonic() < deadline, "the task was never cancelled"
        time.sleep(0.02)
    assert client.get("/hello").status_code == 200
