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
