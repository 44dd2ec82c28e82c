"""The global CORS policy (from Django settings) and Go-side limits that need a socket, through
a real runbolt. Request ids, /health and per-route CORS are tested in-process in
tests/py/integration/test_middleware.py."""

from __future__ import annotations

import socket
import time

import httpx

from ..conftest import BoltProcess

ALLOWED = "https://app.example"


def test_cors_preflight_answered_in_go(client: httpx.Client) -> None:
    r = client.options("/hello", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"})
    assert r.status_code == 204  # as django-cors-headers and django-bolt answer
    assert r.content == b""
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "GET" in r.headers["access-control-allow-methods"]
    assert r.headers["access-control-max-age"] == "86400"
    assert r.headers["vary"] == "Origin"


def test_cors_disallowed_origin_gets_no_allow_origin(client: httpx.Client) -> None:
    pre = client.options("/hello", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in pre.headers
    r = client.get("/hello", headers={"Origin": "https://evil.example"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    assert r.headers["vary"] == "Origin"


def test_cors_actual_request(client: httpx.Client) -> None:
    r = client.get("/hello", headers={"Origin": ALLOWED})
    assert r.json() == {"message": "Hello, World!"}
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert r.headers["access-control-expose-headers"] == "X-Total"
    assert "access-control-allow-origin" not in client.get("/hello").headers


def test_preflight_for_a_missing_route_is_not_answered_with_cors(client: httpx.Client) -> None:
    r = client.options("/no-such-route", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"})
    assert r.status_code == 404
    assert "access-control-allow-origin" not in r.headers


def _raw(bolt: BoltProcess, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", bolt.port), timeout=5) as s:
        s.sendall(payload)
        chunks = []
        while data := s.recv(65536):
            chunks.append(data)
        return b"".join(chunks)


def test_chunked_body_over_the_limit_is_413(start_bolt: object) -> None:
    bolt = start_bolt(env={"TEST_MAX_BODY": "1000"})  # type: ignore[operator]
    chunk = b"a" * 600
    body = b"%x\r\n%s\r\n" % (len(chunk), chunk) * 2 + b"0\r\n\r\n"
    reply = _raw(bolt, b"POST /created HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b'{"detail":"Request body too large"}' in reply


def test_connection_cap_is_a_json_503(start_bolt: object) -> None:
    bolt = start_bolt(env={"TEST_MAX_CONNECTIONS": "2"})  # type: ignore[operator]
    held: list[socket.socket] = []
    deadline = time.monotonic() + 5
    try:
        while len(held) < 2:  # two connections being served (the readiness probe's may linger briefly)
            s = socket.create_connection(("127.0.0.1", bolt.port), timeout=5)
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            if s.recv(65536).startswith(b"HTTP/1.1 200 "):
                held.append(s)
                continue
            s.close()
            assert time.monotonic() < deadline, "never got two connections served"
            time.sleep(0.05)
        reply = _raw(bolt, b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 503 ")
        assert b"Connection: close" in reply
        assert reply.endswith(b'{"detail":"Server is at connection capacity"}')
    finally:
        for s in held:
            s.close()
