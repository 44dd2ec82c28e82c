"""Faults: handlers that raise, time out or return junk; malformed input; the server lives on."""

from __future__ import annotations

import socket

import httpx

from ..conftest import BoltProcess


def test_handler_raises_500_and_server_keeps_serving(bolt: BoltProcess, client: httpx.Client) -> None:
    r = client.get("/raise")
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}  # DEBUG=False: no traceback in the body
    assert client.get("/hello").status_code == 200
    assert "RuntimeError: handler exploded" in bolt.log()


def test_handler_raises_after_await(bolt: BoltProcess, client: httpx.Client) -> None:
    r = client.get("/raise-after-await")
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}
    assert "ValueError: exploded after await" in bolt.log()


def test_unserialisable_return_is_500_and_logged(bolt: BoltProcess, client: httpx.Client) -> None:
    r = client.get("/unserialisable")
    assert r.status_code == 500
    assert "could not be encoded" in bolt.log()
    assert client.get("/hello").status_code == 200


def test_handler_timeout_is_504_and_task_cancelled(bolt: BoltProcess, client: httpx.Client) -> None:
    # HANDLER_TIMEOUT is 3 s in the test settings.
    r = client.get("/sleep?seconds=8")
    assert r.status_code == 504
    assert r.json() == {"detail": "Handler timed out"}
    assert client.get("/hello").status_code == 200


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


def test_nul_in_query_is_400_without_calling_the_handler(client: httpx.Client) -> None:
    r = client.get("/items/1?q=a%00b")
    assert r.status_code == 400
    assert "NUL" in r.json()["detail"]


def test_invalid_utf8_in_path_param_is_400(client: httpx.Client) -> None:
    r = client.get("/files/%ff%fe")
    assert r.status_code == 400
    assert r.json() == {"detail": "Invalid path parameter 'rest'"}


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
    import json

    client.get("/raise")
    entries = []
    for line in bolt.log().splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    errors = [e for e in entries if e["level"] == "ERROR" and e["message"] == "GET /raise: unhandled exception"]
    assert errors, bolt.log()
    assert errors[-1]["logger"] == "django_bolt"
    assert "RuntimeError: handler exploded" in errors[-1]["exc"]
