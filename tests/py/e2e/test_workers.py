"""Multi-worker runbolt: a supervisor and its exec'd workers, through real sockets."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ..conftest import TEST_PROJECT, BoltProcess, run_manage

Start = Callable[..., BoltProcess]


def _wait_log(server: BoltProcess, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in server.log():
        assert server.proc.poll() is None, server.log()
        assert time.monotonic() < deadline, f"{text!r} never logged:\n{server.log()}"
        time.sleep(0.05)


def _fresh_get(url: str, timeout: float = 10) -> httpx.Response:
    """One request on its own connection, so SO_REUSEPORT can pick any worker."""
    return httpx.get(url, headers={"Connection": "close"}, timeout=timeout)


def _pids(server: BoltProcess, want: int, tries: int = 200) -> set[int]:
    seen: set[int] = set()
    for _ in range(tries):
        r = _fresh_get(f"{server.url}/worker")
        assert r.status_code == 200
        seen.add(r.json()["pid"])
        if len(seen) >= want:
            break
    return seen


def _parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[1])


def test_two_workers_answer_from_two_child_processes(start_bolt: Start) -> None:
    server = start_bolt(TEST_PROJECT, "--workers", "2")
    _wait_log(server, "ready on http://127.0.0.1:")
    _wait_log(server, ": 2 workers,")
    pids = _pids(server, 2)
    assert len(pids) == 2
    assert server.proc.pid not in pids
    assert {_parent_of(p) for p in pids} == {server.proc.pid}
    assert server.stop() == 0


def test_a_killed_worker_is_restarted_and_the_port_keeps_answering(start_bolt: Start) -> None:
    server = start_bolt(TEST_PROJECT, "--processes", "2")
    _wait_log(server, "ready on http://127.0.0.1:")
    _wait_log(server, ": 2 workers,")
    before = _pids(server, 2)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    _wait_log(server, "was killed by SIGKILL unexpectedly; restarting it")
    _wait_log(server, "worker", timeout=5)
    deadline = time.monotonic() + 30
    after: set[int] = set()
    while not (after - before):  # the replacement answers
        assert time.monotonic() < deadline, server.log()
        after |= _pids(server, 2, tries=20)
    assert victim not in after
    for _ in range(20):
        assert _fresh_get(f"{server.url}/hello").status_code == 200
    assert server.stop() == 0


def test_sigterm_under_load_loses_no_request_and_exits_0(start_bolt: Start) -> None:
    server = start_bolt(TEST_PROJECT, "--workers", "2")
    _wait_log(server, "ready on http://127.0.0.1:")
    _wait_log(server, ": 2 workers,")
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + 15  # a bound, never reached when all goes well

    def load() -> None:
        with httpx.Client(base_url=server.url, timeout=10, headers={"Connection": "close"}) as c:
            while time.monotonic() < stop_at:
                try:
                    r = c.get("/sleep", params={"seconds": "0.02"})
                except httpx.ConnectError:
                    with lock:  # refused: the listeners are closed, nothing was sent
                        outcomes["refused"] += 1
                    return
                except httpx.HTTPError as exc:
                    with lock:
                        outcomes["failed"] += 1
                        failures.append(repr(exc))
                    continue
                with lock:
                    if r.status_code == 200:
                        outcomes["ok"] += 1
                    else:
                        outcomes["failed"] += 1
                        failures.append(f"{r.status_code} {r.text}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        for _ in range(6):
            pool.submit(load)
        time.sleep(1.5)
        ok_before = outcomes["ok"]
        server.terminate()
        started = time.monotonic()
        code = server.proc.wait(timeout=30)
        took = time.monotonic() - started
    assert failures == [], (outcomes, failures[:5])
    assert ok_before >= 30, outcomes
    assert outcomes["refused"] == 6  # every client ended on a refused connection
    assert code == 0, server.log()
    assert took < 10 + 5  # GRACEFUL_TIMEOUT of the test project, plus the margin
    assert "SIGTERM: stopping 2 worker(s)" in server.log()


def test_max_requests_replaces_a_worker_without_losing_requests(start_bolt: Start) -> None:
    server = start_bolt(TEST_PROJECT, "--workers", "1", "--max-requests", "15", "--max-requests-jitter", "0")
    _wait_log(server, ": 1 worker,")
    pids: list[int] = []
    for _ in range(60):
        r = _fresh_get(f"{server.url}/worker")
        assert r.status_code == 200
        pids.append(r.json()["pid"])
        if len(set(pids)) >= 3:
            break
        time.sleep(0.01)
    assert len(set(pids)) >= 2, server.log()
    assert pids == sorted(pids, key=pids.index)  # each pid answers in one run: no going back
    _wait_log(server, "recycled: pid")
    assert server.stop() == 0


def test_port_in_use_stops_the_supervisor_with_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run_manage("runbolt", "--host", "127.0.0.1", "--port", str(port), "--workers", "2")
    assert r.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}: address already in use" in r.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_failing_startup_hook_stops_the_server_instead_of_looping(workers: str, tmp_path: Path) -> None:
    from ..conftest import free_port

    started = time.monotonic()
    r = run_manage(
        "runbolt",
        "--port",
        str(free_port()),
        "--workers",
        workers,
        env={"TEST_LIFESPAN": "fail", "TEST_MARKER_DIR": str(tmp_path)},
    )
    assert r.returncode != 0
    assert "database unreachable (on purpose)" in r.stderr
    assert "start-up hook testproject.lifespan_api.on_startup failed" in r.stderr
    if workers == "2":
        assert "before it was ready; stopping" in r.stderr
        assert r.stderr.count("worker 0 started") <= 1  # not restarted
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("workers", ["1", "2"])
def test_lifespan_hooks_run_once_per_worker(start_bolt: Start, tmp_path: Path, workers: str) -> None:
    server = start_bolt(TEST_PROJECT, "--workers", workers, env={"TEST_LIFESPAN": "1"})
    if workers == "2":
        _wait_log(server, ": 2 workers,")
    pids = _pids(server, int(workers))
    assert _fresh_get(f"{server.url}/life/state").json()["state"] == "ready"
    assert server.stop() == 0
    for hook in ("startup", "lifespan-enter", "lifespan-exit", "shutdown"):
        ran = sorted(int(p.name.rpartition("-")[2]) for p in tmp_path.glob(f"{hook}-*"))
        assert ran == sorted(pids), (hook, ran, pids)


@pytest.mark.parametrize(("uvloop", "loop"), [("1", "uvloop"), ("0", "asyncio")])
def test_the_bridge_works_on_both_event_loops(start_bolt: Start, uvloop: str, loop: str) -> None:
    server = start_bolt(TEST_PROJECT, env={"DJANGO_BOLT_UVLOOP": uvloop})
    with httpx.Client(base_url=server.url, timeout=10) as c:
        assert c.get("/worker").json()["loop"] == loop
        assert c.get("/hello").json() == {"message": "Hello, World!"}
        assert c.get("/items/42", params={"q": "abc"}).json() == {"item_id": 42, "q": "abc"}
        assert c.get("/sleep", params={"seconds": "0.01"}).json() == {"slept": 0.01}
        assert c.get("/raise-after-await").status_code == 500
    assert server.stop() == 0


def test_workers_from_the_environment_and_pinned_to_one_cpu_each(start_bolt: Start) -> None:
    server = start_bolt(TEST_PROJECT, "--pin", env={"DJANGO_BOLT_WORKERS": "2"})
    _wait_log(server, "ready on http://127.0.0.1:")
    _wait_log(server, ": 2 workers,")
    pids = _pids(server, 2)
    assert len(pids) == 2
    allowed = sorted(os.sched_getaffinity(0))
    pinned = sorted(min(os.sched_getaffinity(p)) for p in pids)
    assert all(len(os.sched_getaffinity(p)) == 1 for p in pids)
    assert pinned == [allowed[k % len(allowed)] for k in range(2)]
    assert server.stop() == 0


def _wait_hello(server: BoltProcess, message: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        r = _fresh_get(f"{server.url}/hello")
        assert r.status_code == 200
        if r.json()["message"] == message:
            return
        assert time.monotonic() < deadline, f"/hello never said {message!r}:\n{server.log()}"
        time.sleep(0.1)


def test_dev_restarts_the_worker_on_a_change_and_survives_a_broken_edit(start_bolt: Start, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(TEST_PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
    api = project / "testapp" / "api.py"
    original = api.read_text()
    server = start_bolt(project, "--dev", "--reload-poll")
    _wait_log(server, ": 1 worker,")
    _wait_hello(server, "Hello, World!")
    assert "handler exploded" in _fresh_get(f"{server.url}/raise").text  # tracebacks in 500 bodies
    time.sleep(1.2)  # the poller's first pass only records modification times

    api.write_text(original.replace('"Hello, World!"', '"Hello, reloaded!"'))
    _wait_hello(server, "Hello, reloaded!")

    api.write_text(original + "\n)\n")  # a syntax error: the previous code keeps serving
    _wait_log(server, "the previous code keeps serving")
    _wait_hello(server, "Hello, reloaded!", timeout=1)

    api.write_text(original.replace('"Hello, World!"', '"Hello, fixed!"'))
    _wait_hello(server, "Hello, fixed!")
    assert server.stop() == 0


def test_max_rss_replaces_a_worker_that_grew_too_big(start_bolt: Start) -> None:
    # Every worker is above 1 MiB, so each is replaced about once a second: requests must not
    # notice.
    server = start_bolt(TEST_PROJECT, "--workers", "1", "--max-rss", "1")
    _wait_log(server, "above --max-rss 1 MiB; starting its replacement")
    pids: set[int] = set()
    deadline = time.monotonic() + 30
    while len(pids) < 2:
        assert time.monotonic() < deadline, server.log()
        r = _fresh_get(f"{server.url}/worker")
        assert r.status_code == 200
        pids.add(r.json()["pid"])
        time.sleep(0.02)
    _wait_log(server, "recycled: pid")
    assert server.stop() == 0
