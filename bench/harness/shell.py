"""Running commands for the harness: log a line, run a command and fail loudly, capture output."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(argv: list[str], cwd: Path | None = None) -> str:
    """Run a command, fail loudly, return its stdout."""
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {shlex.join(argv)}\n{proc.stderr}")
    return proc.stdout


def capture(argv: list[str], cwd: Path | None = None) -> str:
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"({shlex.join(argv)}: {exc})"
    return (proc.stdout + proc.stderr).strip()
