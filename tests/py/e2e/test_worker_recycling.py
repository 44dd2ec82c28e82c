"""runbolt's django-bolt worker flags through a real multi-worker runbolt (issue 18):
--workers-lifetime, --respawn-failed-workers / --no-respawn-failed-workers and
--workers-kill-timeout. Every wait is on something the server logs or answers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from ..conftest import TEST_PROJECT, BoltProcess
from .test_workers import _fresh_get, _pids, _wait_log  # noqa: F401

Start = Callable[..., BoltProcess]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_workers_lifetime_replaces_each_worker_one_at_a_time(start_bolt: Start) -> None:
    server = start_bolt(TEST_PROJECT, "--workers", "2", "--workers-lifetime", "2")
    _wait_log(server, ": 2 workers,")
    first = _pids(server, 2)
    deadline = time.monotonic() + 90
    retired: set[int] = set()
    while not first <= retired:  # both first workers replaced
        assert time.monotonic() < deadline, server.log()
        assert _fresh_get(f"{server.url}/hello").status_code == 200  # the port answers throughout
        time.sleep(0.1)
        retired = {int(ln.split("(pid ")[1].split(")")[0]) for ln in server.log().splitlines() if "retired (" in ln}
    log = server.log()
    assert "reached its --workers-lifetime (2s); starting its replacement" in log
    # one at a time: each "starting its replacement" is followed by that replacement's
    # "recycled" before the next replacement starts
    events = [ln for ln in log.splitlines() if "starting its replacement" in ln or "recycled: pid" in ln]
    for a, b in zip(events, events[1:]):
        assert not ("starting its replacement" in a and "starting its replacement" in b), events
    assert not any(_alive(p) for p in retired)
    assert server.stop() == 0


def test_no_respawn_failed_workers_lets_the_pool_shrink(start_bolt: Start) -> None:
    server = start_bolt(TEST_PROJECT, "--workers", "2", "--no-respawn-failed-workers")
    _wait_log(server, ": 2 workers,")
    victim, survivor = sorted(_pids(server, 2))
    os.kill(victim, signal.SIGKILL)
    _wait_log(server, "not respawned (--no-respawn-failed-workers), 1 left")
    for _ in range(10):
        r = _fresh_get(f"{server.url}/worker")
        assert r.status_code == 200 and r.json()["pid"] == survivor
    assert "restarting it in" not in server.log()
    os.kill(survivor, signal.SIGKILL)
    assert server.proc.wait(timeout=60) != 0
    assert "every worker failed and --no-respawn-failed-workers is set" in server.log()


def test_respawn_failed_workers_is_accepted_and_is_the_default(start_bolt: Start) -> None:
    server = start_bolt(TEST_PROJECT, "--workers", "2", "--respawn-failed-workers")
    _wait_log(server, ": 2 workers,")
    victim = min(_pids(server, 2))
    os.kill(victim, signal.SIGKILL)
    _wait_log(server, "was killed by SIGKILL unexpectedly; restarting it")
    assert server.stop() == 0


def test_workers_kill_timeout_kills_a_worker_stuck_after_sigterm(start_bolt: Start, tmp_path: Path) -> None:
    # The graceful timeout (120 s) would let the in-flight request finish; the kill timeout
    # (1 s) does not wait for it.
    settings = json.dumps({"HANDLER_TIMEOUT": 300, "GRACEFUL_TIMEOUT": 120})
    server = start_bolt(
        TEST_PROJECT, "--workers", "2", "--workers-kill-timeout", "1", env={"TEST_BOLT_SETTINGS": settings}
    )
    _wait_log(server, ": 2 workers,")
    outcome: list[object] = []

    def stuck() -> None:
        try:
            outcome.append(httpx.get(f"{server.url}/block/stuck", params={"seconds": "200"}, timeout=250))
        except httpx.HTTPError as exc:
            outcome.append(exc)

    t = threading.Thread(target=stuck, daemon=True)
    t.start()
    marker = tmp_path / "stuck"
    deadline = time.monotonic() + 30
    while not marker.exists():  # the handler runs: a worker has a request in flight
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)
    server.terminate()
    server.proc.wait(timeout=60)  # far below the 120 s graceful timeout
    _wait_log(server, "did not stop 1s after SIGTERM; killing it (SIGKILL)", timeout=5)
    t.join(timeout=30)
    assert outcome and not isinstance(outcome[0], httpx.Response) or outcome[0].status_code != 200  # type: ignore[union-attr]


def test_workers_kill_timeout_applies_to_a_recycled_worker(start_bolt: Start, tmp_path: Path) -> None:
    # A worker replaced by --workers-lifetime while a request keeps it busy: SIGTERM, then
    # SIGKILL once the kill timeout passed (the graceful timeout would wait 120 s).
    settings = json.dumps({"HANDLER_TIMEOUT": 300, "GRACEFUL_TIMEOUT": 120})
    server = start_bolt(
        TEST_PROJECT,
        "--workers",
        "1",
        "--workers-lifetime",
        "3",
        "--workers-kill-timeout",
        "1",
        env={"TEST_BOLT_SETTINGS": settings},
    )
    _wait_log(server, ": 1 worker,")
    busy = next(iter(_pids(server, 1)))

    def stuck() -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(f"{server.url}/block/recycled", params={"seconds": "200"}, timeout=250)

    threading.Thread(target=stuck, daemon=True).start()
    deadline = time.monotonic() + 30
    while not (tmp_path / "recycled").exists():
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)
    _wait_log(server, f"(pid {busy}) did not stop 1s after SIGTERM; killing it (SIGKILL)", timeout=90)
    _wait_log(server, f"(pid {busy}) retired (was killed by SIGKILL)", timeout=30)
    assert _fresh_get(f"{server.url}/hello").status_code == 200  # the replacement serves
    # (no exit-code check: a 1 s kill timeout may also cut the last worker's own teardown)
    server.stop()
