"""Faults on the wire of a real runbolt: malformed request lines, binary garbage, oversized
headers and bodies sent on a raw socket, and the JSON log lines of a production process; the
server lives on. Handlers that raise, time out or return junk are tested in-process in
tests/py/integration/test_faults.py."""

from __future__ import annotations

import json
import socket

import httpx

from ..conftest import BoltProcess


def _raw(bolt: BoltProcess, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", bolt.port), timeout=5) as s:
        s.sendall(payload)
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)


def test_malformed_request_line_is_400_and_closed(bolt: BoltProcess, client: httpx.Client) -> None:
    reply = _raw(bolt, b"GET / HTTP1.1\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert b'{"detail":"Bad Request"}' in reply
    assert client.get("/hello").status_code == 200


def test_binary_garbage_is_400(bolt: BoltProcess, client: httpx.Client) -> None:
    reply = _raw(bolt, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) + b"\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert client.get("/hello").status_code == 200


def test_oversized_headers_are_431(bolt: BoltProcess, client: httpx.Client) -> None:
    reply = _raw(bolt, b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 431 ")
    assert client.get("/hello").status_code == 200


def test_oversized_body_is_413_before_it_is_read(bolt: BoltProcess, client: httpx.Client) -> None:
    # The body is never sent: the declared length alone is refused.
    head = b"POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    reply = _raw(bolt, head + b"Content-Length: 3000000\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b'{"detail":"Request body too large"}' in reply
    assert client.get("/hello").status_code == 200


def test_production_logs_are_json_lines_with_the_traceback(bolt: BoltProcess, client: httpx.Client) -> None:
    client.get("/raise")
    entries = []
    for line in bolt.log().splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    errors = [e for e in entries if e["level"] == "ERROR" and e["message"] == "GET /raise: unhandled exception"]
    assert errors, bolt.log()
    assert errors[-1]["logger"] == "django_bolt"
    assert "RuntimeError: handler exploded" in errors[-1]["exc"]
