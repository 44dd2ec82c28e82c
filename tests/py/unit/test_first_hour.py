"""What a new user meets first: `make run` is a development server and says so, the example
project serves without DEBUG unless asked, the package metadata builds without deprecation
banners (an SPDX license string)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_make_run_is_development_mode_and_says_so() -> None:
    done = subprocess.run(
        ["make", "-n", "run", "HOST=127.0.0.9", "PORT=9123"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    serve = next(line for line in done.stdout.splitlines() if "runbolt" in line and "echo" not in line)
    assert "DJANGO_DEBUG=1" in serve and "runbolt --dev --host 127.0.0.9 --port 9123" in serve
    assert "DEVELOPMENT mode" in done.stdout


def _example_debug(env: dict[str, str]) -> str:
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from django.conf import settings; print(settings.DEBUG)"],
        cwd=REPO / "examples",
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_example_debug_is_off_unless_asked() -> None:
    assert _example_debug({}) == "False"  # no tracebacks in 500 bodies by default
    assert _example_debug({"DJANGO_DEBUG": "1"}) == "True"


def test_license_is_an_spdx_expression() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"  # a table here is deprecated (the 15-line setuptools banner)
    assert "httpx>=0.27" in project["dependencies"]  # django_bolt.testing on a plain install
