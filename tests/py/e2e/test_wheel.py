"""The wheel: platform-tagged, carries libbolt.so, installs into a fresh venv and serves the
example project with no Go toolchain on PATH."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import httpx

from ..conftest import EXAMPLE_PROJECT, REPO, BoltProcess


def test_wheel_installs_and_serves_without_go(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(["make", "wheel", f"DIST={dist}", f"VPY={sys.executable}"], cwd=REPO, check=True, timeout=600)
    (wheel,) = dist.glob("django_bolt_go-*.whl")
    assert re.fullmatch(r"django_bolt_go-[\d.]+-py3-none-manylinux_2_\d+_x86_64\.whl", wheel.name), wheel.name
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert "django_bolt/libbolt.so" in names
    assert "django_bolt/py.typed" in names
    assert "django_bolt/management/commands/runbolt.py" in names
    # The docs UIs' assets ship inside the wheel (setup.py fetched them from npm).
    for asset in (
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "redoc.standalone.js",
        "scalar.js",
        "rapidoc-min.js",
        "elements.js",
    ):
        assert f"django_bolt/openapi/static/{asset}" in names, asset

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    vpy = env_dir / "bin" / "python"
    subprocess.run([str(vpy), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=600)

    go = shutil.which("go")
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not go or Path(p) != Path(go).parent)
    env = {"PATH": path, "EXAMPLE_DB": str(tmp_path / "db.sqlite3"), "DJANGO_BOLT_LIB": ""}
    # Run from a copy of the example so that the checkout's django_bolt is not importable.
    project = tmp_path / "example"
    shutil.copytree(EXAMPLE_PROJECT, project, ignore=shutil.ignore_patterns("db.sqlite3", "__pycache__"))
    check = subprocess.run(
        # TestClient imports from a plain install (no [test] extra): httpx is a dependency.
        [
            str(vpy),
            "-c",
            "import django_bolt, shutil; from django_bolt.testing import TestClient; "
            "print(django_bolt.__file__); print(shutil.which('go'))",
        ],
        cwd=project,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    location, go_seen = check.stdout.split()
    assert location.startswith(str(env_dir)), location
    assert go_seen == "None"

    server = BoltProcess(project, tmp_path / "wheel.log", env=env, python=str(vpy)).wait_ready()
    try:
        assert httpx.get(f"{server.url}/hello").json() == {"message": "Hello, World!"}
        assert httpx.get(f"{server.url}/items/3?q=w").json() == {"item_id": 3, "q": "w"}
        docs = httpx.get(f"{server.url}/docs").text
        assert "/docs/assets/swagger-ui-bundle.js" in docs and "cdn." not in docs
        assert len(httpx.get(f"{server.url}/docs/assets/swagger-ui-bundle.js").content) > 100_000
    finally:
        assert server.stop() == 0
