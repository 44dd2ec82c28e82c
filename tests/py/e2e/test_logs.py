"""One log format (docs/observability.md): every stderr line of a runbolt with workers is a
JSON object with the same fields and timestamp format from Go and Python, the worker id on
every worker line, one start-up banner, shutdown lines; --dev writes readable lines; and a
malformed request's credentials appear nowhere (fasthttp's own logger is replaced)."""

from __future__ import annotations

import json
import re
import socket
import time

import httpx

from tests.py.conftest import TEST_PROJECT, BoltProcess

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TOKEN = "tok-SECRET-51c2e"


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    return reply


def _wait_for(server: BoltProcess, text: str) -> None:
    deadline = time.monotonic() + 30
    while text not in server.log():
        assert time.monotonic() < deadline, f"{text!r} never logged:\n{server.log()}"
        time.sleep(0.05)


def test_every_line_is_one_json_format_with_the_worker(start_bolt, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server: BoltProcess = start_bolt(TEST_PROJECT, "--workers", "2", "--skip-checks")
    _wait_for(server, ": 2 workers,")
    assert httpx.get(f"{server.url}/hello").status_code == 200
    # Malformed requests carrying credentials: a body over MAX_BODY_SIZE and a broken header.
    auth = f"Authorization: Bearer {TOKEN}\r\nCookie: sessionid={TOKEN}\r\n".encode()
    big = _raw(server.port, b"POST /hello HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Length: 99999999999\r\n\r\n")
    assert big.startswith(b"HTTP/1.1 413")
    bad = _raw(server.port, b"GET /hello HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Length: nope\r\n\r\n")
    assert bad.startswith(b"HTTP/1.1 400")
    _wait_for(server, "error when serving connection")
    assert server.stop() == 0
    log = server.log_path.read_text()
    assert TOKEN not in log, log
    lines = [json.loads(line) for line in log.splitlines()]  # every line is JSON
    for entry in lines:
        # Access lines carry the request's fields (method, path, status, ...) instead of a message.
        common = {"time", "level", "logger"} | ({"status"} if entry["logger"] == "django_bolt.access" else {"message"})
        assert common <= entry.keys(), entry
        assert STAMP.match(entry["time"]), entry
        if entry["logger"] != "django_bolt.supervisor":
            assert entry.get("worker") in (0, 1), entry
    by_logger = {e["logger"] for e in lines}
    assert {"django_bolt", "django_bolt.access", "django_bolt.server", "django_bolt.supervisor"} <= by_logger
    banners = [e for e in lines if "ready on http://" in e.get("message", "")]
    assert len(banners) == 1, banners
    assert re.search(
        r"2 workers, \w+ event loop, \d+ routes, docs at http://\S+/docs; production mode", banners[0]["message"]
    )
    conn_errors = [e for e in lines if e.get("message", "") == "error when serving connection"]
    assert {e["error"] for e in conn_errors} <= {"body_too_large", "malformed_request"}
    assert all(e["peer"].startswith("127.0.0.1:") and e["request_id"] for e in conn_errors), conn_errors
    messages = [e["message"] for e in lines if "message" in e]
    assert sum(m.startswith("Shutting down: draining") for m in messages) == 2
    assert messages[-1] == "stopped"


def test_dev_lines_are_readable_with_the_worker(start_bolt) -> None:  # type: ignore[no-untyped-def]
    server: BoltProcess = start_bolt(TEST_PROJECT, "--dev", "--skip-checks")
    _wait_for(server, ": 1 worker,")
    assert httpx.get(f"{server.url}/hello").status_code == 200
    _wait_for(server, "django_bolt.access[worker 0]: GET /hello 200")
    assert server.stop() == 0
    log = server.log_path.read_text()
    assert re.search(
        r"^\d\d:\d\d:\d\d INFO django_bolt\.supervisor: django-bolt-go ready on .*development mode", log, re.M
    )
    assert re.search(r"^\d\d:\d\d:\d\d INFO django_bolt\[worker 0\]: Shutting down: draining 0", log, re.M)
    assert "\x1b[" not in log  # no colour when stderr is not a terminal
