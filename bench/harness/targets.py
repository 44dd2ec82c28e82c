"""The benchmarked servers: where each one lives and the command that starts it (`TARGETS`,
the `--targets` names)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent

REPO = BENCH.parent
OUT_ROOT = BENCH / ".out"
CEILING_BIN = BENCH / ".build" / "ceiling"
BRIDGE_BIN = BENCH / ".build" / "bridgeonly"
LOOP_BIN = BENCH / ".build" / "looponly"
VENV_FASTAPI = BENCH / ".venv-fastapi"
VENV_DJBOLT = BENCH / ".venv-djbolt"
VENV_DJANGO = BENCH / ".venv-django"  # the django-ninja and DRF peers
HOST = "127.0.0.1"
NO_DB = "no database route"
# Runs kept under OUT_ROOT: a sitting's server logs (access logs on) reach hundreds of MB, and
# a session of A/B rounds filled the disk with them.
KEEP_RUNS = 20


def new_run_dir(name: str) -> Path:
    """A fresh OUT_ROOT/name for one run's outputs, after removing all but the newest
    KEEP_RUNS - 1 earlier runs."""
    OUT_ROOT.mkdir(parents=True, exist_ok=True)
    runs = sorted((d for d in OUT_ROOT.iterdir() if d.is_dir()), key=lambda d: d.stat().st_mtime)
    for old in runs[: max(0, len(runs) - (KEEP_RUNS - 1))]:
        shutil.rmtree(old, ignore_errors=True)
    run_dir = OUT_ROOT / name
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


@dataclass(frozen=True)
class Target:
    """How to start one server. `{port}` in argv is replaced by the chosen port."""

    name: str
    cwd: Path
    argv: tuple[str, ...]
    python: Path | None = None  # interpreter whose version and packages get recorded
    requires: tuple[Path, ...] = ()  # skip the target (with a message) if one is missing
    skip_hint: str = ""
    # path name -> why this target cannot serve it: the path is skipped, not an error
    unsupported: tuple[tuple[str, str], ...] = ()


def py(venv: Path) -> str:
    return str(venv / "bin" / "python")


def ours(name: str = "ours", workers: int = 1, env: tuple[str, ...] = ()) -> Target:
    """This project's example project under `runbolt` (with `env NAME=VALUE ...` if given)."""
    # DEBUG off, as in every peer: the example project's DEBUG defaults to on for `make run`,
    # and with DEBUG Django wraps every cursor to log each query (/users: ~8% of its CPU).
    argv = (
        "env",
        "DJANGO_DEBUG=0",
        *env,
        py(REPO / ".venv"),
        *f"manage.py runbolt --host {HOST} --port {{port}} --workers {workers}".split(),
    )
    return Target(
        name=name,
        cwd=REPO / "examples",
        argv=argv,
        python=REPO / ".venv" / "bin" / "python",
        requires=(REPO / ".venv" / "bin" / "python", REPO / "examples" / "manage.py"),
        skip_hint="the repo's .venv and examples/manage.py are not there yet",
    )


ISSUE3_PATHS = ("struct", "pydantic", "big", "params")

# The django-ninja and DRF peers serve only these two workloads.
DJANGO_PEER_UNSUPPORTED = tuple(
    (p, "only /hello, /users and the ViewSet paths") for p in ("items", *ISSUE3_PATHS, "fn-list")
)
NO_VIEWSETS = tuple((p, NO_DB) for p in ("users", "vs-list", "vs-retrieve", "fn-list"))
LOOP_UNSUPPORTED = (*NO_VIEWSETS, ("upload", "no multipart in the event-loop experiment"))

# The command table: edit here to change how a target is started. Each server gets
# `taskset -c SERVER_CPU` in front; `{port}` is filled in with a free port.
TARGETS: dict[str, Target] = {
    "ours": ours(),
    # The same server on asyncio's own loop instead of uvloop (the default when installed).
    "ours-asyncio": ours("ours-asyncio", env=("DJANGO_BOLT_UVLOOP=0",)),
    # Two worker processes behind one SO_REUSEPORT address (run it with --no-pin).
    "ours-w2": ours("ours-w2", workers=2),
    "ceiling": Target(
        name="ceiling",
        cwd=REPO,
        argv=(str(CEILING_BIN), "-addr", f"{HOST}:{{port}}"),
        unsupported=NO_VIEWSETS,
    ),
    # libbolt's server and bridge with a Go goroutine in Python's place: what the bridge costs.
    "bridge": Target(
        name="bridge",
        cwd=REPO,
        argv=(str(BRIDGE_BIN), "-addr", f"{HOST}:{{port}}"),
        unsupported=NO_VIEWSETS,
    ),
    # The same bridge and Go answerer behind an epoll event-loop front end instead of
    # fasthttp's goroutine per connection (issue 20): what the park and wake per request cost.
    "loop": Target(
        name="loop",
        cwd=REPO,
        argv=(str(LOOP_BIN), "-addr", f"{HOST}:{{port}}"),
        unsupported=LOOP_UNSUPPORTED,
    ),
    # Its variants (bench/RESULTS.md, issue 20 event loop): replies written by the loops
    # instead of the goroutine that took the batch; four Ps as libbolt.so runs with.
    "loop-lw": Target(
        name="loop-lw",
        cwd=REPO,
        argv=(str(LOOP_BIN), "-writer", "loop", "-addr", f"{HOST}:{{port}}"),
        unsupported=LOOP_UNSUPPORTED,
    ),
    "loop-p4": Target(
        name="loop-p4",
        cwd=REPO,
        argv=("env", "GOMAXPROCS=4", str(LOOP_BIN), "-addr", f"{HOST}:{{port}}"),
        unsupported=LOOP_UNSUPPORTED,
    ),
    "fastapi": Target(
        name="fastapi",
        cwd=BENCH / "peers",
        argv=(
            py(VENV_FASTAPI),
            *f"-m uvicorn fastapi_app:app --host {HOST} --port {{port}} --loop uvloop"
            " --http httptools --workers 1 --no-access-log".split(),
        ),
        python=VENV_FASTAPI / "bin" / "python",
        unsupported=tuple(
            (p, "FastAPI has no Django ORM") for p in ("users", "vs-list", "vs-retrieve", "fn-list")
        ),
    ),
    "djbolt": Target(
        name="djbolt",
        cwd=BENCH / "peers" / "djbolt",
        argv=(
            py(VENV_DJBOLT),
            *f"manage.py runbolt --host {HOST} --port {{port}} --processes 1".split(),
        ),
        python=VENV_DJBOLT / "bin" / "python",
        unsupported=(
            ("pydantic", "django-bolt 0.13.0 takes no Pydantic model as a body parameter"),
            ("fn-list", "ours only: the function route a ViewSet list is compared with"),
        ),
    ),
    # issue 5: the Django API frameworks on the same database as `ours` (--db).
    "ninja": Target(
        name="ninja",
        cwd=BENCH / "peers" / "djpeers",
        argv=(
            "env",
            "PEER=ninja",
            py(VENV_DJANGO),
            *f"-m uvicorn djpeers.asgi:application --host {HOST} --port {{port}} --loop uvloop"
            " --http httptools --workers 1 --no-access-log".split(),
        ),
        python=VENV_DJANGO / "bin" / "python",
        unsupported=(
            *DJANGO_PEER_UNSUPPORTED,
            *((p, "django-ninja has no ViewSets") for p in ("vs-list", "vs-retrieve")),
        ),
    ),
    # DRF views are synchronous: gunicorn's threaded worker, its usual deployment.
    "drf": Target(
        name="drf",
        cwd=BENCH / "peers" / "djpeers",
        argv=(
            "env",
            "PEER=drf",
            py(VENV_DJANGO),
            *f"-m gunicorn djpeers.wsgi:application --bind {HOST}:{{port}} --workers 1"
            " --worker-class gthread --threads 8".split(),
        ),
        python=VENV_DJANGO / "bin" / "python",
        unsupported=DJANGO_PEER_UNSUPPORTED,
    ),
}
