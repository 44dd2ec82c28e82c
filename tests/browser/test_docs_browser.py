"""The docs UIs in a real headless chromium with the network blocked, against a real
`runbolt` serving the example project with its default settings: the UIs' assets come from
the package itself (make test-browser; tests/browser/docs.mjs does the clicking)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from django_bolt.testing import LiveServer

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def test_swagger_ui_try_it_out(tmp_path: Path) -> None:
    if not Path("/usr/bin/chromium").exists() or not (HERE / "node_modules" / "playwright-core").is_dir():
        # Never a silent skip: `make test-browser` installs both (chromium needs root).
        pytest.fail("needs /usr/bin/chromium (apt-get install chromium, as root) and npm ci in tests/browser")
    with LiveServer(REPO / "examples", log_path=tmp_path / "runbolt.log", python=sys.executable) as server:
        server.wait_ready()
        out = HERE / "output"
        done = subprocess.run(
            [shutil.which("node") or "node", str(HERE / "docs.mjs"), server.url, str(out)],
            capture_output=True, text=True, timeout=120, env={**os.environ},
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "hello_hello_get: 200" in done.stdout and "create_item_items_post: 201" in done.stdout
        assert "redoc: rendered" in done.stdout and "scalar: rendered" in done.stdout
        assert "rapidoc: rendered" in done.stdout and "stoplight: rendered" in done.stdout
        assert (out / "swagger-ui.png").stat().st_size > 10_000
