"""BackgroundTasks through a real runbolt: run after the response is sent, in order, errors
logged, awaited on graceful shutdown; durable=True enqueues a django-tasks task in the
database backend, which `manage.py db_worker` then runs."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ..conftest import TEST_PROJECT, BoltProcess, run_manage

Start = Callable[..., BoltProcess]


def _wait_file(path: Path, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never written"
        time.sleep(0.05)
    return path.read_text()


@pytest.fixture(scope="module")
def tasks_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("bgdb") / "db.sqlite3"
    done = run_manage("migrate", "--noinput", "-v0", env={"TEST_BACKGROUND": "1", "TEST_DB": str(db)})
    assert done.returncode == 0, done.stderr
    return db


@pytest.fixture
def env(tasks_db: Path, tmp_path: Path) -> dict[str, str]:
    db = tmp_path / "db.sqlite3"
    shutil.copy(tasks_db, db)
    return {"TEST_BACKGROUND": "1", "TEST_DB": str(db), "TEST_MARKER_DIR": str(tmp_path)}


def test_runs_after_the_response_in_order(start_bolt: Start, env: dict[str, str]) -> None:
    server = start_bolt(TEST_PROJECT, env=env)
    marks = Path(env["TEST_MARKER_DIR"])
    name = uuid.uuid4().hex
    # The task waits for a marker this test writes only after it has the response: had the
    # response waited for the task, this request would time out.
    r = httpx.post(f"{server.url}/bg/after/{name}", timeout=10)
    assert r.status_code == 200 and r.json() == {"scheduled": name}
    assert not (marks / f"{name}.done").exists()
    (marks / f"{name}.go").write_text("go")
    assert _wait_file(marks / f"{name}.done") == "done"
    assert _wait_file(marks / f"{name}.second") == "in order"


def test_errors_are_logged_and_the_worker_lives(start_bolt: Start, env: dict[str, str]) -> None:
    server = start_bolt(TEST_PROJECT, env=env)
    assert httpx.post(f"{server.url}/bg/error").status_code == 200
    deadline = time.monotonic() + 20
    while "background boom" not in server.log():
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)
    assert "background task explode failed" in server.log()
    assert httpx.post(f"{server.url}/bg/error").status_code == 200


def test_graceful_shutdown_awaits_background_tasks(start_bolt: Start, env: dict[str, str]) -> None:
    server = start_bolt(TEST_PROJECT, env=env)
    name = uuid.uuid4().hex
    assert httpx.post(f"{server.url}/bg/slow/{name}").status_code == 200
    assert server.stop() == 0  # SIGTERM right away; the task sleeps 1 s first
    assert (Path(env["TEST_MARKER_DIR"]) / name).read_text() == "slow"


def test_durable_task_is_enqueued_then_run_by_the_task_worker(start_bolt: Start, env: dict[str, str]) -> None:
    server = start_bolt(TEST_PROJECT, env=env)
    name = uuid.uuid4().hex
    assert httpx.post(f"{server.url}/bg/durable/{name}").status_code == 200
    marker = Path(env["TEST_MARKER_DIR"]) / name
    assert not marker.exists()  # not run by the web worker
    server.stop()  # it survives the web worker: it is in the database
    done = run_manage("db_worker", "--batch", "--no-startup-delay", env=env)
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "durable"


def test_durable_needs_a_django_task(start_bolt: Start, env: dict[str, str]) -> None:
    server = start_bolt(TEST_PROJECT, env=env)
    r = httpx.post(f"{server.url}/bg/not-a-task")
    assert r.status_code == 500
    assert "durable=True" in server.log()
