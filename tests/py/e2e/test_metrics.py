"""/metrics answered by Go, through a real runbolt (docs/observability.md)."""

from __future__ import annotations

import json
import re
import socket
import struct
import time

import httpx

from ..conftest import BoltProcess


def scrape(client: httpx.Client, **headers: str) -> str:
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return r.text


def value(text: str, series: str) -> float:
    """The value of one series (exact name and labels) in a scrape; 0 when absent."""
    for line in text.splitlines():
        name, _, v = line.rpartition(" ")
        if name == series:
            return float(v)
    return 0.0


def test_requests_are_counted_by_route_template(client: httpx.Client) -> None:
    before = scrape(client)
    for i in range(3):
        assert client.get(f"/items/{i}").status_code == 200
    assert client.get("/no/such/path/123").status_code == 404
    after = scrape(client)
    ok = 'bolt_requests_total{route="/items/{item_id}",method="GET",status="200"}'
    assert value(after, ok) - value(before, ok) == 3
    missing = 'bolt_requests_total{route="<unmatched>",method="GET",status="404"}'
    assert value(after, missing) - value(before, missing) == 1
    assert value(after, 'bolt_handler_duration_seconds_count{route="/items/{item_id}",method="GET"}') >= 3
    assert value(after, 'bolt_request_duration_seconds_count{route="/items/{item_id}",method="GET"}') >= 3
    assert "/no/such/path" not in after and "/items/1" not in after  # template labels only


def test_process_bridge_and_connection_metrics(client: httpx.Client) -> None:
    client.get("/hello")
    text = scrape(client)
    assert value(text, "bolt_requests_in_flight") == 1  # the scrape itself
    assert value(text, "bolt_open_connections") >= 1
    assert value(text, "bolt_bridge_records_total") >= 1
    assert value(text, "bolt_bridge_polls_total") >= 1
    assert value(text, 'bolt_bridge_batch_size_bucket{le="+Inf"}') == value(text, "bolt_bridge_polls_total")
    assert "bolt_bridge_queue_depth " in text
    for name in ("go_goroutines", "go_memstats_alloc_bytes", "process_resident_memory_bytes", "process_open_fds"):
        assert value(text, name) > 0, name


def test_client_disconnect_mid_response_is_counted_and_server_keeps_serving(
    bolt: BoltProcess, client: httpx.Client
) -> None:
    before = value(scrape(client), "bolt_response_write_errors_total")
    s = socket.create_connection(("127.0.0.1", bolt.port))
    # 8 MB does not fit in the socket buffers: the server is still writing when we reset.
    s.sendall(b"GET /obs/huge HTTP/1.1\r\nHost: t\r\n\r\n")
    assert s.recv(1024).startswith(b"HTTP/1.1 200")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, not FIN
    s.close()
    deadline = time.monotonic() + 10
    while value(scrape(client), "bolt_response_write_errors_total") <= before:
        assert time.monotonic() < deadline, "the failed write was never counted"
        time.sleep(0.05)
    assert client.get("/hello").json() == {"message": "Hello, World!"}


def test_metrics_token_is_required_when_set(start_bolt: object) -> None:
    bolt: BoltProcess = start_bolt(env={"TEST_BOLT_SETTINGS": json.dumps({"METRICS_TOKEN": "t0ken-abc"})})  # type: ignore[operator]
    with httpx.Client(base_url=bolt.url, timeout=10) as c:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "t0ken-abc"}):
            r = c.get("/metrics", headers=headers)
            assert r.status_code == 401
            assert r.json() == {"detail": "Metrics require a bearer token"}
            assert r.headers["www-authenticate"].startswith("Bearer")
        assert "bolt_requests_total" in scrape(c, Authorization="Bearer t0ken-abc")


def test_metrics_path_is_configurable_and_can_be_turned_off(start_bolt: object) -> None:
    moved: BoltProcess = start_bolt(env={"TEST_BOLT_SETTINGS": json.dumps({"METRICS_PATH": "/_internal/metrics"})})  # type: ignore[operator]
    off: BoltProcess = start_bolt(env={"TEST_BOLT_SETTINGS": json.dumps({"METRICS_PATH": None})})  # type: ignore[operator]
    with httpx.Client(timeout=10) as c:
        assert c.get(moved.url + "/metrics").status_code == 404
        assert re.search(r"^go_goroutines \d+", c.get(moved.url + "/_internal/metrics").text, re.M)
        assert c.get(off.url + "/metrics").status_code == 404
