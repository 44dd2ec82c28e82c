"""Shared fixtures: real `runbolt` processes on free loopback ports."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from django_bolt.testing import LiveServer, free_port

__all__ = ["EXAMPLE_PROJECT", "POSTGRES_URL", "REPO", "TEST_PROJECT", "BoltProcess", "free_port", "run_manage"]

REPO = Path(__file__).resolve().parents[2]
TEST_PROJECT = Path(__file__).resolve().parent / "project"
EXAMPLE_PROJECT = REPO / "examples"
#: The PostgreSQL server of the database tests (tests/pg/run.sh sets DATABASE_URL). Taken out
#: of the environment so that every other server the tests start keeps its SQLite database.
POSTGRES_URL = os.environ.pop("DATABASE_URL", "")


def run_manage(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py ARGS`` of the test project to completion, capturing its output."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=TEST_PROJECT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class BoltProcess(LiveServer):
    """A `manage.py runbolt` subprocess whose output goes to ``log_path``."""

    def __init__(
        self,
        project: Path,
        log_path: Path,
        *args: str,
        env: dict[str, str] | None = None,
        python: str = sys.executable,
    ) -> None:
        super().__init__(project, *args, log_path=log_path, env=env, python=python)


@pytest.fixture
def start_bolt(tmp_path: Path) -> Iterator[object]:
    """Factory: start_bolt(project=..., env=..., args=...) -> BoltProcess (stopped at teardown)."""
    started: list[BoltProcess] = []

    def start(
        project: Path = TEST_PROJECT, *args: str, env: dict[str, str] | None = None, ready: bool = True
    ) -> BoltProcess:
        env = {"TEST_MARKER_DIR": str(tmp_path), **(env or {})}
        p = BoltProcess(project, tmp_path / f"runbolt-{len(started)}.log", *args, env=env)
        started.append(p)
        return p.wait_ready() if ready else p

    yield start
    for p in started:
        p.stop()


@pytest.fixture(scope="module")
def bolt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoltProcess]:
    """One server for the module's read-only tests."""
    tmp = tmp_path_factory.mktemp("bolt")
    p = BoltProcess(TEST_PROJECT, tmp / "runbolt.log", env={"TEST_MARKER_DIR": str(tmp)})
    p.wait_ready()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def client(bolt: BoltProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=bolt.url, timeout=10) as c:
        yield c


SUPERUSER = ("admin", "admin-pass-123")


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every migration applied and a superuser (SUPERUSER), made once;
    copy it (``shutil.copy``) before serving from it so tests do not share state."""
    db = tmp_path_factory.mktemp("db") / "template.sqlite3"
    env = {"TEST_DB": str(db)}
    for args in (
        ("migrate", "--noinput", "-v0"),
        ("createsuperuser", "--noinput", "--username", SUPERUSER[0], "--email", "admin@example.com"),
    ):
        done = run_manage(*args, env={**env, "DJANGO_SUPERUSER_PASSWORD": SUPERUSER[1]})
        assert done.returncode == 0, done.stderr
    return db


def bolt_with_db(template: Path, tmp: Path, *args: str, env: dict[str, str] | None = None) -> BoltProcess:
    """A ready runbolt of the test project serving a private copy of the ``template`` DB."""
    import shutil

    db = tmp / "db.sqlite3"
    shutil.copy(template, db)
    p = BoltProcess(
        TEST_PROJECT,
        tmp / f"runbolt-{len(list(tmp.glob('runbolt*')))}.log",
        *args,
        env={"TEST_DB": str(db), **(env or {})},
    )
    p.wait_ready()
    return p
