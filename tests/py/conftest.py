"""Shared fixtures: real `runbolt` processes on free loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
TEST_PROJECT = Path(__file__).resolve().parent / "project"
EXAMPLE_PROJECT = REPO / "examples"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BoltProcess:
    """A `manage.py runbolt` subprocess; its output goes to a log file the test can read."""

    def __init__(
        self,
        project: Path,
        log_path: Path,
        *args: str,
        env: dict[str, str] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        cmd = [python, "manage.py", "runbolt", "--host", "127.0.0.1", "--port", str(self.port), *args]
        self.proc = subprocess.Popen(
            cmd, cwd=project, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )

    def wait_ready(self, timeout: float = 30) -> BoltProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"runbolt exited with {self.proc.returncode}:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"runbolt did not listen within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


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
