"""Access log lines written by Go to stderr, read from a real runbolt's output."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import httpx

from ..conftest import TEST_PROJECT, BoltProcess


def access_lines(bolt: BoltProcess) -> list[dict[str, Any]]:
    out = []
    for line in bolt.log().splitlines():
        if line.startswith("{") and '"logger":"django_bolt.access"' in line:
            out.append(json.loads(line))  # every access line is valid JSON
    return out


def wait_for(bolt: BoltProcess, request_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        for entry in access_lines(bolt):
            if entry["request_id"] == request_id:
                return entry
        assert time.monotonic() < deadline, f"no access line for {request_id}:\n{bolt.log()}"
        time.sleep(0.05)


def test_one_json_line_per_request(bolt: BoltProcess, client: httpx.Client) -> None:
    r = client.get("/items/7?q=x", headers={"X-Request-ID": "acc-1"})
    assert r.status_code == 200
    entry = wait_for(bolt, "acc-1")
    assert entry["method"] == "GET"
    assert entry["route"] == "/items/{item_id}"
    assert entry["path"] == "/items/7"
    assert entry["status"] == 200
    assert entry["bytes"] == len(r.content)
    assert entry["client_ip"] == "127.0.0.1"
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert entry["level"] == "INFO" and entry["time"].endswith("Z")
    assert "user_id" not in entry  # no auth middleware attached one


def test_unrouted_and_go_answered_requests_are_logged(bolt: BoltProcess, client: httpx.Client) -> None:
    client.get("/nowhere", headers={"X-Request-ID": "acc-404"})
    missing = wait_for(bolt, "acc-404")
    assert missing["status"] == 404 and missing["route"] is None
    client.get("/health", headers={"X-Request-ID": "acc-health"})
    assert wait_for(bolt, "acc-health")["status"] == 200


def test_compressed_bytes_are_what_went_out(bolt: BoltProcess, client: httpx.Client) -> None:
    r = client.get("/obs/big", headers={"X-Request-ID": "acc-gz", "Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert wait_for(bolt, "acc-gz")["bytes"] == int(r.headers["content-length"])


def test_control_bytes_in_the_path_cannot_forge_lines(bolt: BoltProcess) -> None:
    with socket.create_connection(("127.0.0.1", bolt.port)) as s:
        s.sendall(b"GET /nowhere%0A%7B%22forged%22:1%7D HTTP/1.1\r\nHost: t\r\nX-Request-ID: acc-inject\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 404")
    entry = wait_for(bolt, "acc-inject")
    assert entry["path"] == '/nowhere\n{"forged":1}'
    assert not any(line.startswith('{"forged"') for line in bolt.log().splitlines())


def test_slow_only_mode(start_bolt: object) -> None:
    bolt: BoltProcess = start_bolt(env={"TEST_BOLT_SETTINGS": json.dumps({"ACCESS_LOG_SLOW_MS": 200})})  # type: ignore[operator]
    with httpx.Client(base_url=bolt.url, timeout=10) as c:
        c.get("/obs/sleep?ms=0", headers={"X-Request-ID": "fast-1"})
        c.get("/obs/sleep?ms=300", headers={"X-Request-ID": "slow-1"})
    assert wait_for(bolt, "slow-1")["duration_ms"] >= 200
    assert all(e["request_id"] != "fast-1" for e in access_lines(bolt))


def test_off_and_sampled(start_bolt: object) -> None:
    off: BoltProcess = start_bolt(env={"TEST_BOLT_SETTINGS": json.dumps({"ACCESS_LOG": False})})  # type: ignore[operator]
    # 1e-9: the chance that any of 50 requests is logged is 5e-8.
    rare: BoltProcess = start_bolt(env={"TEST_BOLT_SETTINGS": json.dumps({"ACCESS_LOG_SAMPLE": 1e-9})})  # type: ignore[operator]
    for server in (off, rare):
        with httpx.Client(base_url=server.url, timeout=10) as c:
            for _ in range(50):
                assert c.get("/hello").status_code == 200
    time.sleep(0.3)  # the writer flushes as soon as its queue is empty
    assert access_lines(off) == [] and access_lines(rare) == []


def test_dev_mode_writes_readable_lines(start_bolt: object) -> None:
    bolt: BoltProcess = start_bolt(TEST_PROJECT, "--dev")  # type: ignore[operator]
    with httpx.Client(base_url=bolt.url, timeout=10) as c:
        c.get("/items/3", headers={"X-Request-ID": "dev-1"})
    deadline = time.monotonic() + 10
    while "id=dev-1" not in bolt.log():
        assert time.monotonic() < deadline, bolt.log()
        time.sleep(0.05)
    line = next(x for x in bolt.log().splitlines() if "id=dev-1" in x)
    assert " INFO django_bolt.access[worker 0]: GET /items/3 200 " in line
    assert "route=/items/{item_id} ip=127.0.0.1" in line
