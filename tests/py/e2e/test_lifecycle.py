"""Concurrency, graceful shutdown and start-up errors of a real runbolt process."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ..conftest import EXAMPLE_PROJECT, TEST_PROJECT, BoltProcess, run_manage


def test_200_concurrent_requests_each_get_their_own_answer(bolt: BoltProcess) -> None:
    async def main() -> list[tuple[int, dict[str, object]]]:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(base_url=bolt.url, timeout=30, limits=limits) as c:

            async def one(n: int) -> tuple[int, dict[str, object]]:
                r = await c.get(f"/echo/{n}", params={"tag": f"t{n}"})
                assert r.status_code == 200
                return n, r.json()

            return await asyncio.gather(*(one(n) for n in range(200)))

    results = asyncio.run(main())
    assert len(results) == 200
    for n, body in results:
        assert body == {"n": n, "tag": f"t{n}"}


def _wait_for(path: Path, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.01)


def test_sigterm_lets_in_flight_request_finish_then_exits_0(
    start_bolt: Callable[..., BoltProcess], tmp_path: Path
) -> None:
    server = start_bolt()
    result: dict[str, object] = {}

    def slow_request() -> None:
        r = httpx.get(f"{server.url}/block/sigterm?seconds=1.5", timeout=20)
        result["status"], result["body"] = r.status_code, r.json()

    t = threading.Thread(target=slow_request)
    t.start()
    _wait_for(tmp_path / "sigterm")  # the handler is running
    server.terminate()
    t.join(timeout=20)
    assert result == {"status": 200, "body": {"done": "sigterm"}}
    assert server.proc.wait(timeout=20) == 0
    with pytest.raises(OSError):  # no longer listening
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
    assert "Shutting down" in server.log()


def test_sigint_stops_an_idle_server_with_exit_0(start_bolt: Callable[..., BoltProcess]) -> None:
    server = start_bolt()
    assert httpx.get(f"{server.url}/hello").status_code == 200
    server.proc.send_signal(2)
    assert server.proc.wait(timeout=20) == 0


def test_example_project_serves_the_readme_routes(start_bolt: Callable[..., BoltProcess], tmp_path: Path) -> None:
    server = start_bolt(EXAMPLE_PROJECT, env={"EXAMPLE_DB": str(tmp_path / "example.sqlite3")})
    assert httpx.get(f"{server.url}/hello").json() == {"message": "Hello, World!"}
    assert httpx.get(f"{server.url}/items/7?q=z").json() == {"item_id": 7, "q": "z"}


def test_env_overrides_host_and_port(tmp_path: Path) -> None:
    from ..conftest import free_port

    port = free_port()
    log = open(tmp_path / "env.log", "wb")  # noqa: SIM115
    env = {**os.environ, "DJANGO_BOLT_PORT": str(port), "DJANGO_BOLT_HOST": "127.0.0.1"}
    proc = subprocess.Popen([sys.executable, "manage.py", "runbolt"], cwd=TEST_PROJECT, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/hello", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, (tmp_path / "env.log").read_text()
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_unknown_setting_key_is_refused_with_the_valid_keys() -> None:
    r = run_manage("runbolt", "--port", "0", "--settings", "testproject.settings_badkey")
    assert r.returncode != 0
    assert "unknown DJANGO_BOLT key(s) HANDLER_TIMOUT" in r.stderr
    assert "HANDLER_TIMEOUT" in r.stderr.split("valid keys are:")[1]


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run_manage("runbolt", "--host", "127.0.0.1", "--port", str(port))
    assert r.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr
    assert "address already in use" in r.stderr


def test_graceful_timeout_flag_forces_a_503_then_exits_0(
    start_bolt: Callable[..., BoltProcess], tmp_path: Path
) -> None:
    server = start_bolt(TEST_PROJECT, "--graceful-timeout", "0.5")
    result: dict[str, object] = {}

    def stuck_request() -> None:
        r = httpx.get(f"{server.url}/block/forced?seconds=2.5", timeout=20)
        result["status"], result["body"] = r.status_code, r.json()

    t = threading.Thread(target=stuck_request)
    t.start()
    _wait_for(tmp_path / "forced")
    server.terminate()
    t.join(timeout=20)
    assert result == {"status": 503, "body": {"detail": "Server is shutting down"}}
    assert server.proc.wait(timeout=20) == 0
    assert "graceful stop timed out after 500ms" in server.log()


def test_dev_mode_logs_are_readable_text(start_bolt: Callable[..., BoltProcess]) -> None:
    server = start_bolt(TEST_PROJECT, "--dev")
    assert httpx.get(f"{server.url}/raise").status_code == 500
    deadline = time.monotonic() + 10
    while "GET /raise: unhandled exception" not in server.log():
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)
    line = next(x for x in server.log().splitlines() if "GET /raise: unhandled exception" in x)
    assert not line.startswith("{")
    assert " ERROR django_bolt[worker " in line


def test_start_up_objects_are_frozen_out_of_the_collector(bolt: BoltProcess) -> None:
    """Everything alive when serving starts (Django, the apps, the routes) is frozen, so a full
    collection walks only what requests created since (django_bolt/_server/serve.py)."""
    state = httpx.get(f"{bolt.url}/gc", timeout=10).json()
    assert state["frozen"] > 10_000  # the test project's modules, settings, routes...
    assert state["tracked"] < state["frozen"]  # what the collector still walks
