"""A PostgreSQL restart costs at most the queries in flight at that moment: the pool's check
(django_bolt.db.dropped_by_server) refuses every connection the server closed, so the next
requests get fresh connections. The test starts its own throwaway cluster (tests/pg/start.sh)
so that restarting it disturbs no other test."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.py.conftest import REPO, TEST_PROJECT, BoltProcess, run_manage

PG = REPO / "tests" / "pg"
POOL = 4


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, Path]]:
    # Under /tmp itself, readable by the postgres user that owns the cluster when run as root
    # (pytest's own temp directories are private to this user).
    directory = Path(tempfile.mkdtemp(prefix="bolt-pg-restart."))
    directory.chmod(0o755)
    started = subprocess.run([str(PG / "start.sh"), str(directory)], capture_output=True, text=True, timeout=600)
    if started.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: the restart test needs a PostgreSQL cluster:\n{started.stderr}")
        pytest.skip(f"no PostgreSQL cluster could be started: {started.stderr.strip()[-200:]}")
    try:
        yield started.stdout.strip(), directory
    finally:
        subprocess.run([str(PG / "stop.sh"), str(directory)], timeout=120)


def _restart(directory: Path) -> None:
    bindir = (directory / "bindir").read_text().strip()
    # -l: the restarted server writes to its log file, not to our pipes (which it would hold
    # open, and subprocess.run would wait for it forever).
    log = str(directory / "server.log")
    cmd = [f"{bindir}/pg_ctl", "-D", str(directory / "data"), "-l", log, "-m", "fast", "-w", "-t", "60", "restart"]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_restart_fails_no_request_that_starts_after_it(cluster: tuple[str, Path], tmp_path: Path) -> None:
    url, directory = cluster
    env = {"TEST_MARKER_DIR": str(tmp_path), "TEST_DATABASE_URL": url, "DATABASE_POOL_SIZE": str(POOL)}
    done = run_manage("migrate", "--noinput", env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    server = BoltProcess(TEST_PROJECT, tmp_path / "runbolt.log", "--workers", "1", env=env).wait_ready()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert client.post("/shop/products", json={"name": "lamp", "price": 3}).status_code == 201

            def count(_: int) -> int:
                with httpx.Client(base_url=server.url, timeout=30) as c:
                    return c.get("/shop/products/count").status_code

            # Concurrent requests open every pooled connection, then they sit idle.
            with ThreadPoolExecutor(16) as pool:
                assert set(pool.map(count, range(64))) == {200}
            _restart(directory)
            statuses = [client.get("/shop/products/count").status_code for _ in range(2 * POOL)]
            with ThreadPoolExecutor(16) as pool:
                statuses += list(pool.map(count, range(64)))
        assert statuses.count(200) == len(statuses), f"{len(statuses) - statuses.count(200)} failed: {statuses}"
    finally:
        server.stop()
