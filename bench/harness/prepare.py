"""Everything a run needs before the first server starts: wrk, the Go binaries (ceiling,
bridgeonly), the peers' virtualenvs and, with `--db`, a filled database."""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.shell import log, run
from harness.targets import (
    BENCH,
    BRIDGE_BIN,
    CEILING_BIN,
    LOOP_BIN,
    REPO,
    VENV_DJANGO,
    VENV_DJBOLT,
    VENV_FASTAPI,
    py,
)
from harness.workloads import SEEDED_MEMBERS


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    log("wrk not found: apt-get install -y wrk")
    if subprocess.run(["apt-get", "install", "-y", "wrk"]).returncode != 0:
        run(["apt-get", "update"])
        run(["apt-get", "install", "-y", "wrk"])


def python_version(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = out.stdout.split()
    return (int(parts[0]), int(parts[1])) if out.returncode == 0 and len(parts) == 2 else None


def find_python(minimum: tuple[int, int]) -> str:
    """A python >= minimum: $BENCH_DJBOLT_PYTHON, python3.N on PATH, then pyenv versions."""
    candidates = [os.environ.get("BENCH_DJBOLT_PYTHON", "")]
    candidates += [shutil.which(f"python3.{n}") or "" for n in range(minimum[1], minimum[1] + 4)]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [str(p) for p in sorted((pyenv_root / "versions").glob("3.*/bin/python3"))]
    for cand in filter(None, candidates):
        version = python_version(cand)
        if version is not None and version >= minimum:
            return cand
    raise SystemExit(
        f"need a Python >= {minimum[0]}.{minimum[1]} for django-bolt (set BENCH_DJBOLT_PYTHON)"
    )


def ensure_venv(venv: Path, base_python: str, requirements: Path) -> None:
    """Create venv and install requirements, unless the stamp says it is already done."""
    stamp = venv / ".bench-requirements"
    wanted = requirements.read_text()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    log(f"creating {venv.relative_to(REPO)} from {requirements.name} with {base_python}")
    run([base_python, "-m", "venv", "--clear", str(venv)])
    pip_install = ["-m", "pip", "install", "-q", "--disable-pip-version-check", "-r"]
    run([py(venv), *pip_install, str(requirements)])
    stamp.write_text(wanted)


def build_ceiling() -> None:
    log("go build -o bench/.build/ceiling ./bench/ceiling")
    run(["go", "build", "-o", str(CEILING_BIN), "./bench/ceiling"], cwd=REPO)


def setup(names: list[str]) -> None:
    ensure_wrk()
    if "ceiling" in names:
        build_ceiling()
    if "bridge" in names:
        log("go build -o bench/.build/bridgeonly ./bench/bridgeonly")
        run(["go", "build", "-o", str(BRIDGE_BIN), "./bench/bridgeonly"], cwd=REPO)
    if any(n == "loop" or n.startswith("loop-") for n in names):
        log("go build -o bench/.build/looponly ./bench/looponly")
        run(["go", "build", "-o", str(LOOP_BIN), "./bench/looponly"], cwd=REPO)
    if "fastapi" in names:
        ensure_venv(VENV_FASTAPI, sys.executable, BENCH / "requirements-fastapi.txt")
    if "djbolt" in names:
        ensure_venv(VENV_DJBOLT, find_python((3, 12)), BENCH / "requirements-djbolt.txt")
    if "ninja" in names or "drf" in names:
        ensure_venv(VENV_DJANGO, sys.executable, BENCH / "requirements-django.txt")


def prepare_database(kind: str, out_dir: Path) -> str:
    """Create and fill the members table for `--db kind` through the example project
    (migrate + seed_members); return the DATABASE_URL every target gets."""
    if kind == "sqlite":
        path = out_dir / "bench.sqlite3"
        url = f"sqlite:///{path}"
    else:
        url = os.environ.get("BENCH_DATABASE_URL", "") or start_postgres()
    env = {**os.environ, "DATABASE_URL": url}
    manage = [py(REPO / ".venv"), "manage.py"]
    for command in (["migrate", "--noinput"], ["seed_members", "--count", str(SEEDED_MEMBERS)]):
        proc = subprocess.run(
            [*manage, *command], cwd=REPO / "examples", env=env, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise SystemExit(f"{shlex.join(command)} failed on {kind}:\n{proc.stderr}")
    log(f"database: {kind}, {SEEDED_MEMBERS} members ({url})")
    return url


def start_postgres() -> str:
    """A throwaway cluster (tests/pg/start.sh), stopped when run.py exits."""
    # Under /tmp: the server runs as the `postgres` user, who may not reach the checkout.
    pg_dir = Path(tempfile.mkdtemp(prefix="bolt-bench-pg."))
    pg_dir.chmod(0o755)
    atexit.register(subprocess.run, [str(REPO / "tests" / "pg" / "stop.sh"), str(pg_dir)])
    return run([str(REPO / "tests" / "pg" / "start.sh"), str(pg_dir)]).strip()
