"""Issue 15 hardening through a real runbolt: redirects, ALLOWED_HOSTS and request bodies
(docs/reliability.md)."""

from __future__ import annotations

import socket

from ..conftest import BoltProcess


def _raw(bolt: BoltProcess, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", bolt.port), timeout=10) as s:
        s.sendall(request)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while more := s.recv(65536):
            data += more
    return data


def test_trailing_slash_redirect_is_relative(start_bolt: object) -> None:
    bolt: BoltProcess = start_bolt()  # type: ignore[operator]
    reply = _raw(bolt, b"GET /hello/?x=1 HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
    head = reply.partition(b"\r\n\r\n")[0].decode()
    assert head.startswith("HTTP/1.1 301"), head
    assert "\r\nLocation: /hello?x=1" in head, head  # before: http://evil.example/hello?x=1


def test_allowed_hosts_is_enforced_on_go_routes(start_bolt: object) -> None:
    bolt: BoltProcess = start_bolt(env={"TEST_ALLOWED_HOSTS": "127.0.0.1,.example.com"})  # type: ignore[operator]
    ok = _raw(bolt, b"GET /hello HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n")
    assert ok.startswith(b"HTTP/1.1 200"), ok
    bad = _raw(bolt, b"GET /hello HTTP/1.1\r\nHost: evil.test\r\nConnection: close\r\n\r\n")
    assert bad.startswith(b"HTTP/1.1 400"), bad
    assert b'{"detail":"Invalid Host header: the host is not in ALLOWED_HOSTS"}' in bad
    foreign = _raw(bolt, b"GET http://evil.test/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert foreign.startswith(b"HTTP/1.1 400"), foreign
    # The liveness probe names the pod's address: it is answered whatever the host.
    health = _raw(bolt, b"GET /health HTTP/1.1\r\nHost: 10.1.2.3:8000\r\nConnection: close\r\n\r\n")
    assert health.startswith(b"HTTP/1.1 200"), health


def test_json_routes_refuse_other_content_types(start_bolt: object) -> None:
    """A cross-site form or a "simple" fetch (text/plain) cannot post JSON without a CORS
    preflight: 415, unless the route opts out; a gzip body is 415, not 422."""
    bolt: BoltProcess = start_bolt()  # type: ignore[operator]
    body = b'{"name": "a", "price": 1.5}'

    def post(path: str, headers: str) -> bytes:
        head = f"POST {path} HTTP/1.1\r\nHost: t\r\n{headers}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        return _raw(bolt, head.encode() + body)

    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        reply = post("/items", f"Content-Type: {ctype}\r\n")
        assert reply.startswith(b"HTTP/1.1 415"), reply
        assert b"this route takes a JSON body" in reply
    gz = post("/items", "Content-Type: application/json\r\nContent-Encoding: gzip\r\n")
    assert gz.startswith(b"HTTP/1.1 415") and b"Content-Encoding" in gz, gz
    for path, ctype in (("/items", "application/json"), ("/items-any-type", "text/plain"), ("/items", "")):
        reply = post(path, f"Content-Type: {ctype}\r\n" if ctype else "")
        assert reply.startswith(b"HTTP/1.1 200") and b'"price":1.5' in reply, (path, ctype, reply)
