#!/usr/bin/env python3
"""Benchmark django-bolt-go ("ours") against a pure-Go ceiling, FastAPI and django-bolt.

Stdlib only. Each server runs pinned to CPU 0, wrk runs pinned to CPU 1, one target at a
time, against 127.0.0.1 only. See bench/README.md.

    python3 bench/run.py [--duration 10] [--connections 64] [--targets ours,ceiling,...]
                         [--paths hello,items | --paths all] [--write-results]
    python3 bench/run.py --db sqlite|postgresql --targets ours,djbolt,ninja,drf --paths users
    python3 bench/run.py --section middleware [--variants bare,all,...] [--repeat 3]
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import gzip
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT_ROOT = BENCH / ".out"
CEILING_BIN = BENCH / ".build" / "ceiling"
BRIDGE_BIN = BENCH / ".build" / "bridgeonly"
VENV_FASTAPI = BENCH / ".venv-fastapi"
VENV_DJBOLT = BENCH / ".venv-djbolt"
VENV_DJANGO = BENCH / ".venv-django"  # the django-ninja and DRF peers
RESULTS_MD = BENCH / "RESULTS.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def markers(section: str) -> tuple[str, str]:
    """The markers of a generated section of RESULTS.md ("main" is the default table)."""
    if section == "main":
        return BEGIN, END
    return f"<!-- bench:{section}:begin -->", f"<!-- bench:{section}:end -->"


SERVER_CPU, CLIENT_CPU = "0", "1"
PIN = True  # --no-pin: server and wrk share both CPUs (the workers comparison)


def pinned(cpu: str) -> list[str]:
    """`taskset -c cpu` in front of a command, unless --no-pin."""
    return ["taskset", "-c", cpu] if PIN else []


HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
BUSY_WARN_PCT = 15.0  # "other CPU %" above this flags a run that shared the machine
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Workload:
    """One benchmarked request and the JSON every target must answer it with."""

    url: str  # path and query
    expected: object
    method: str = "GET"
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return self.url if self.method == "GET" else f"{self.method} {self.url}"

    @property
    def needs_script(self) -> bool:
        """wrk takes method, body and headers only from a Lua script."""
        return self.method != "GET" or bool(self.body) or bool(self.headers)


def order_body() -> tuple[bytes, dict[str, object]]:
    """The ~1 KB order POSTed to /bench/struct and /bench/pydantic, and the reply to it."""
    qtys = [i % 4 + 1 for i in range(10)]
    prices = [round(4.99 + i * 3.17, 2) for i in range(10)]
    items = [
        {"sku": f"SKU-{1000 + i}-NAVY-XL-ORGANIC-COTTON-TSHIRT", "qty": qty, "price": price}
        for i, (qty, price) in enumerate(zip(qtys, prices))
    ]
    order = {
        "name": "Ada Lovelace",
        "email": "ada.lovelace@example.com",
        "price": 149.99,
        "tags": [
            *("priority", "gift-wrap", "express-shipping", "fragile", "eu-warehouse"),
            *("repeat-customer", "newsletter", "loyalty-gold", "spring-sale", "mobile-app"),
            *("first-order-discount", "carbon-neutral"),
        ],
        "items": items,
    }
    total = sum(qty * price for qty, price in zip(qtys, prices))  # the handlers' order
    reply: dict[str, object] = {"ok": True, "items": len(items), "total": round(total, 2)}
    return json.dumps(order, separators=(",", ":")).encode(), reply


# The /bench/big list; every app builds the same one once, at import time (~10 KB of JSON).
BIG = [
    {
        "id": i,
        "name": f"User Number {i:03d}",
        "email": f"user.number{i:03d}@example.com",
        "active": i % 3 != 0,
        "score": i + 0.25,
    }
    for i in range(100)
]
ORDER, ORDER_REPLY = order_body()


def member_row(i: int) -> dict[str, object]:
    """Member i as examples/demo's `seed_members` writes it (keep the two in step)."""
    return {
        "id": i,
        "name": f"Member {i:03d}",
        "email": f"member{i:03d}@example.com",
        "active": i % 3 != 0,
        "score": i + 0.25,
    }


SEEDED_MEMBERS = 100
USERS_REPLY = [member_row(i) for i in range(1, 11)]  # /users: the first ten, by id


def upload_body() -> tuple[bytes, str, dict[str, object]]:
    """A multipart body with one 1 MiB file (printable bytes: wrk's Lua script holds it as
    text), its content type, and the reply to /bench/upload."""
    boundary = "benchboundary7MA4YWxkTrZu0gW"
    data = (b"0123456789abcdef" * 65536)[: 1 << 20]
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="upload.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    reply: dict[str, object] = {"filename": "upload.bin", "size": len(data)}
    return body, f"multipart/form-data; boundary={boundary}", reply


UPLOAD, UPLOAD_TYPE, UPLOAD_REPLY = upload_body()
JSON_HEADERS = (("Content-Type", "application/json"),)

# path name -> the request and its expected JSON. `--paths` default: hello,items.
PATHS: dict[str, Workload] = {
    "hello": Workload("/hello", {"message": "Hello, World!"}),
    "items": Workload("/items/42?q=abc", {"item_id": 42, "q": "abc"}),
    "struct": Workload("/bench/struct", ORDER_REPLY, "POST", ORDER, JSON_HEADERS),
    "pydantic": Workload("/bench/pydantic", ORDER_REPLY, "POST", ORDER, JSON_HEADERS),
    "big": Workload("/bench/big", BIG),
    "params": Workload(
        "/bench/params/42?limit=10&q=abc",
        {"id": 42, "limit": 10, "q": "abc", "token": "tok"},
        headers=(("X-Token", "tok"),),
    ),
    # issue 5: ten rows through the ORM (`.values()` projection); needs --db.
    "users": Workload("/users", USERS_REPLY),
    "upload": Workload(
        "/bench/upload", UPLOAD_REPLY, "POST", UPLOAD, (("Content-Type", UPLOAD_TYPE),)
    ),
}
DB_PATHS = ("users",)
NO_DB = "no database route"
ALL_PATHS = "*"  # Result.path of a target that failed before any path ran


def url_path(path_name: str) -> str:
    return PATHS[path_name].label if path_name in PATHS else "(all)"


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
DJANGO_PEER_UNSUPPORTED = tuple((p, "only /hello and /users") for p in ("items", *ISSUE3_PATHS))

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
        unsupported=(("users", NO_DB),),
    ),
    # libbolt's server and bridge with a Go goroutine in Python's place: what the bridge costs.
    "bridge": Target(
        name="bridge",
        cwd=REPO,
        argv=(str(BRIDGE_BIN), "-addr", f"{HOST}:{{port}}"),
        unsupported=(("users", NO_DB),),
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
        unsupported=(("users", "FastAPI has no Django ORM"),),
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
        unsupported=DJANGO_PEER_UNSUPPORTED,
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


@dataclass
class Result:
    target: str
    path: str
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    cpu_us_per_req: float = 0.0
    server_cpu_pct: float = 0.0
    wrk_cpu_pct: float = 0.0
    other_cpu_pct: float = 0.0
    errors: list[str] = field(default_factory=list)
    skipped: str = ""  # why the target cannot serve this path (no load was run)


# ---------------------------------------------------------------- setup


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(argv: list[str], cwd: Path | None = None) -> str:
    """Run a command, fail loudly, return its stdout."""
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {shlex.join(argv)}\n{proc.stderr}")
    return proc.stdout


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
    if "fastapi" in names:
        ensure_venv(VENV_FASTAPI, sys.executable, BENCH / "requirements-fastapi.txt")
    if "djbolt" in names:
        ensure_venv(VENV_DJBOLT, find_python((3, 12)), BENCH / "requirements-djbolt.txt")
    if "ninja" in names or "drf" in names:
        ensure_venv(VENV_DJANGO, sys.executable, BENCH / "requirements-django.txt")


# ---------------------------------------------------------------- database (--db)


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


# ---------------------------------------------------------------- server control


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def fill_port(argv: tuple[str, ...], port: str) -> list[str]:
    return [arg.replace("{port}", port) for arg in argv]


def start_server(target: Target, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    argv = [*pinned(SERVER_CPU), *fill_port(target.argv, str(port))]
    log(f"start {target.name}: {shlex.join(argv)}  (cwd {target.cwd})")
    with log_path.open("wb") as out:
        # Own session, so stop_server can signal the server and any workers it forks.
        proc = subprocess.Popen(
            argv,
            cwd=target.cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            lines = log_path.read_text(errors="replace").strip().splitlines() or ["(no output)"]
            raise RuntimeError(
                f"exited with {proc.returncode}: {lines[-1]} (see {log_path.relative_to(REPO)})"
            )
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError(f"no listener on {HOST}:{port} after {START_TIMEOUT_S}s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        log(f"pid {proc.pid} ignored SIGTERM for {STOP_TIMEOUT_S}s: SIGKILL")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def busy_ticks() -> int:
    """Non-idle CPU ticks of the whole machine (first line of /proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return sum(int(v) for v in (user, nice, system, irq, softirq, steal))


def tree_cpu_ticks(root: int) -> int:
    """utime+stime of root and every live descendant (each /proc/PID/stat covers all its
    threads), plus cutime+cstime of the ones they already reaped."""
    parents: dict[int, int] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()  # fields[0] is field 3 (state)
        parents[int(entry.name)] = int(fields[1])
        stats[int(entry.name)] = fields
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        kids = [child for child, parent in parents.items() if parent == pid]
        tree.update(kids)
        frontier.extend(kids)
    # utime, stime, cutime, cstime are fields 14-17, i.e. fields[11:15] here
    return sum(sum(int(v) for v in stats[pid][11:15]) for pid in tree if pid in stats)


# ---------------------------------------------------------------- load


def check_response(url: str, work: Workload) -> str | None:
    """None if the server answers the request with 200, JSON and the expected body."""
    request = urllib.request.Request(
        url, data=work.body or None, headers=dict(work.headers), method=work.method
    )
    what = f"{work.method} {url}"
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            body, ctype = resp.read(), resp.headers.get("content-type", "")
    except urllib.error.HTTPError as exc:
        return f"{what}: status {exc.code}: {exc.read()[:300]!r}"
    except OSError as exc:
        return f"{what} failed: {exc}"
    if not ctype.startswith("application/json"):
        return f"{what}: content-type {ctype!r}"
    try:
        if json.loads(body) != work.expected:
            return f"{what}: body {body[:200]!r}"
    except ValueError:
        return f"{what}: not JSON: {body[:200]!r}"
    return None


def lua_string(text: str) -> str:
    """text as a quoted Lua literal. Not a long-bracket literal: Lua turns every CR LF in
    those into LF, and multipart bodies need their CR LF (RFC 2046 5.1.1)."""
    return '"' + text.encode().decode("latin-1").translate(_LUA_ESCAPES) + '"'


# Printable ASCII as is, except the quote and the backslash; every other byte as \ddd.
_LUA_ESCAPES = {b: f"\\{b:03d}" for b in range(256) if not 32 <= b < 127 or b in (34, 92)}


def write_wrk_script(path_name: str, out_dir: Path, work: Workload | None = None) -> Path | None:
    """The wrk Lua script that sets method, body and headers (of `work`, default
    PATHS[path_name]) as out_dir/<path_name>.lua; None for a plain GET."""
    work = work or PATHS[path_name]
    if not work.needs_script:
        return None
    lines = [f"-- {path_name}: written by bench/run.py", f'wrk.method = "{work.method}"']
    if work.body:
        lines.append(f"wrk.body = {lua_string(work.body.decode())}")
    lines += [f'wrk.headers["{name}"] = {lua_string(value)}' for name, value in work.headers]
    script = out_dir / f"{path_name}.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


def wrk_argv(url: str, duration: int, connections: int, script: Path | None = None) -> list[str]:
    wrk = f"wrk -t1 -c{connections} -d{duration}s --latency".split()
    if script is not None:
        wrk += ["-s", str(script)]
    return [*pinned(CLIENT_CPU), *wrk, url]


def to_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not match:
        raise ValueError(f"unknown wrk latency {value!r}")
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}[match.group(2)]
    return float(match.group(1)) * scale


def parse_wrk(text: str, result: Result) -> None:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    reqs = re.search(r"^\s*(\d+) requests in", text, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    if not (rps and reqs and p50 and p99):
        raise ValueError(f"cannot parse wrk output:\n{text}")
    result.rps, result.requests = float(rps.group(1)), int(reqs.group(1))
    result.p50_ms, result.p99_ms = to_ms(p50.group(1)), to_ms(p99.group(1))
    for pattern in (r"Non-2xx or 3xx responses: \d+", r"Socket errors: .*"):
        found = re.search(pattern, text)
        if found:
            result.errors.append(found.group(0).strip())


def bench_path(
    target: Target,
    proc: subprocess.Popen[bytes],
    port: int,
    path_name: str,
    args: argparse.Namespace,
    out_dir: Path,
) -> Result:
    result = Result(target.name, path_name)
    work = PATHS[path_name]
    url = f"http://{HOST}:{port}{work.url}"
    problem = check_response(url, work)
    if problem:
        result.errors.append(problem)
        return result
    script = out_dir / f"{path_name}.lua" if work.needs_script else None
    return measure(
        result, proc, url, script, args, out_dir / f"{target.name}-{path_name}.txt", work.label
    )


def measure(
    result: Result,
    proc: subprocess.Popen[bytes],
    url: str,
    script: Path | None,
    args: argparse.Namespace,
    out_file: Path,
    label: str,
) -> Result:
    """Warm up, then one measured wrk run against url; fills result (RPS, latency, CPU)."""
    if args.warmup > 0:
        subprocess.run(wrk_argv(url, args.warmup, args.connections, script), capture_output=True)
    argv = wrk_argv(url, args.duration, args.connections, script)
    log(f"{result.target} {label}: {shlex.join(argv)}")
    ticks0, busy0, t0 = tree_cpu_ticks(proc.pid), busy_ticks(), time.monotonic()
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk = subprocess.run(argv, capture_output=True, text=True)
    usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    ticks1, busy1, elapsed = tree_cpu_ticks(proc.pid), busy_ticks(), time.monotonic() - t0
    out_file.write_text(f"$ {shlex.join(argv)}\n{wrk.stdout}{wrk.stderr}")
    if wrk.returncode != 0:
        result.errors.append(f"wrk exited {wrk.returncode}: {wrk.stderr.strip()}")
        return result
    parse_wrk(wrk.stdout, result)
    cpu_s = (ticks1 - ticks0) / CLK_TCK
    if result.requests:
        result.cpu_us_per_req = cpu_s * 1e6 / result.requests
    result.server_cpu_pct = 100 * cpu_s / elapsed
    wrk_cpu_s = sum(getattr(usage1, f) - getattr(usage0, f) for f in ("ru_utime", "ru_stime"))
    result.wrk_cpu_pct = 100 * wrk_cpu_s / elapsed
    busy_s = (busy1 - busy0) / CLK_TCK
    result.other_cpu_pct = 100 * max(0.0, busy_s - cpu_s - wrk_cpu_s) / elapsed
    return result


def bench_target(target: Target, args: argparse.Namespace, out_dir: Path) -> list[Result]:
    unsupported = dict(target.unsupported)
    skipped = [
        Result(target.name, p, skipped=unsupported[p]) for p in args.paths if p in unsupported
    ]
    paths = [p for p in args.paths if p not in unsupported]
    if not paths:
        return skipped
    port = free_port()
    try:
        proc = start_server(target, port, out_dir / f"{target.name}-server.log")
    except RuntimeError as exc:
        log(f"{target.name} did not start: {exc}")
        return [Result(target.name, ALL_PATHS, errors=[f"did not start: {exc}"]), *skipped]
    try:
        return [bench_path(target, proc, port, p, args, out_dir) for p in paths] + skipped
    finally:
        stop_server(proc)


# ---------------------------------------------------------------- report


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def table(results: list[Result]) -> str:
    ceiling = {r.path: r.rps for r in results if r.target == "ceiling"}
    columns = ["target", "path", "RPS", "p50 ms", "p99 ms", "CPU µs/req", "vs ceiling"]
    columns += ["server CPU %", "wrk CPU %", "other CPU %"]
    lines = [
        "| " + " | ".join(columns) + " |",
        "|---|---|" + "---:|" * (len(columns) - 2),
    ]
    for r in results:
        if r.skipped:
            continue  # listed under the table
        if r.requests == 0:
            lines.append(
                f"| {r.target} | {url_path(r.path)} | failed |" + " |" * (len(columns) - 3)
            )
            continue
        lines.append(
            f"| {r.target} | {url_path(r.path)} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f}"
            f" | {r.cpu_us_per_req:.1f} | {ratio(r.rps, ceiling.get(r.path, 0.0))}"
            f" | {r.server_cpu_pct:.0f} | {r.wrk_cpu_pct:.0f} | {r.other_cpu_pct:.0f} |"
        )
    by_key = {(r.target, r.path): r for r in results if r.requests}
    peers = [p for p in ("fastapi", "djbolt") if any(t == p for t, _ in by_key)]
    if any(t == "ours" for t, _ in by_key) and peers:
        lines += [
            "",
            "| ours vs | path | RPS: ours ÷ peer | CPU µs/req: peer ÷ ours |",
            "|---|---|---:|---:|",
        ]
        for peer in peers:
            for path in PATHS:
                ours, other = by_key.get(("ours", path)), by_key.get((peer, path))
                if ours and other:
                    lines.append(
                        f"| {peer} | {url_path(path)} | {ratio(ours.rps, other.rps)} | "
                        f"{ratio(other.cpu_us_per_req, ours.cpu_us_per_req)} |"
                    )
    problems = [f"- {r.target} {url_path(r.path)}: {e}" for r in results for e in r.errors]
    problems += [
        f"- {r.target} {url_path(r.path)}: other processes used {r.other_cpu_pct:.0f}% of a CPU"
        " during the run; numbers are suspect"
        for r in results
        if r.other_cpu_pct > BUSY_WARN_PCT
    ]
    skips = [f"- {r.target} {url_path(r.path)} skipped: {r.skipped}" for r in results if r.skipped]
    if skips:
        lines += ["", "Not served (skipped, not errors):", *skips]
    if problems:
        lines += ["", "Problems:", *problems]
    return "\n".join(lines)


def capture(argv: list[str], cwd: Path | None = None) -> str:
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"({shlex.join(argv)}: {exc})"
    return (proc.stdout + proc.stderr).strip()


def git_commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True)
    if head.returncode != 0:
        return "(no commit yet)"
    status = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True)
    return head.stdout.decode().strip() + (" (dirty tree)" if status.stdout.strip() else "")


# Prints name==version for the packages that matter, as installed in a target's interpreter.
KEY_VERSIONS_PY = """
import importlib.metadata as md
for name in ("django-bolt-go", "django-bolt", "Django", "fastapi", "starlette", "pydantic",
             "uvicorn", "uvloop", "httptools", "msgspec"):
    try:
        print(f"{name}=={md.version(name)}")
    except md.PackageNotFoundError:
        pass
"""


def versions(names: list[str]) -> tuple[str, str]:
    """(short summary for the report, full text with pip freezes for .out/)."""
    wrk_v = capture(["wrk", "-v"]).splitlines()
    short = [
        f"- go: {capture(['go', 'version'])}",
        f"- wrk: {wrk_v[0] if wrk_v else '?'}",
        f"- run.py python: {platform.python_version()}",
        f"- repo commit: {git_commit()}",
    ]
    full = list(short)
    for name in names:
        target = TARGETS[name]
        if target.python is None or not target.python.exists():
            continue
        version = capture([str(target.python), "-c", "import sys; print(sys.version.split()[0])"])
        freeze = capture([str(target.python), "-m", "pip", "freeze", "--all"])
        # -I: without it the checkout (cwd) and its egg-info would count as installed.
        pins = capture([str(target.python), "-I", "-c", KEY_VERSIONS_PY]).split()
        short.append(f"- {name}: Python {version}; {', '.join(pins)}")
        full.append(f"\n## pip freeze ({name}, Python {version})\n{freeze}")
    return "\n".join(short), "\n".join(full) + "\n"


def machine() -> str:
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} CPUs ({model}), {platform.system()} {platform.release()}"


def commands(names: list[str], args: argparse.Namespace) -> str:
    lines = [f"- this run: `python3 bench/run.py {shlex.join(sys.argv[1:])}`"]
    for name in names:
        target = TARGETS[name]
        argv = shlex.join([*pinned(SERVER_CPU), *fill_port(target.argv, "PORT")])
        where = target.cwd.relative_to(REPO) if target.cwd != REPO else Path(".")
        lines.append(f"- {name} (in `{where}`): `{argv}`")
    wrk = shlex.join(wrk_argv("http://127.0.0.1:PORT/PATH", args.duration, args.connections))
    lines.append(f"- load: `{wrk}` after a {args.warmup}s warm-up with the same command")
    scripted = [p for p in args.paths if PATHS[p].needs_script]
    if scripted:
        lines.append(
            f"- {', '.join(scripted)}: wrk also gets `-s .out/<run>/<path>.lua`, which sets"
            " `wrk.method`, `wrk.body` and `wrk.headers` (request bodies and headers: see"
            " `PATHS` in `run.py`)"
        )
    return "\n".join(lines).replace(str(REPO) + "/", "")


def write_results(report: str, name: str = "main", heading: str = "") -> None:
    """Replace the text between the section's markers; a missing pair is appended to the
    end of RESULTS.md (under `## heading` when given)."""
    begin, end = markers(name)
    section = report
    text = (
        RESULTS_MD.read_text()
        if RESULTS_MD.exists()
        else (
            "# Benchmark results\n\nGenerated by `python3 bench/run.py --write-results`; "
            "see bench/README.md for method and caveats.\n\n" + begin + "\n" + end + "\n"
        )
    )
    if begin not in text or end not in text:
        title = f"## {heading}\n\n" if heading else ""
        text = text.rstrip("\n") + "\n\n" + title + begin + "\n" + end + "\n"
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    RESULTS_MD.write_text(f"{head}{begin}\n{section}\n{end}{tail}")
    log(f"wrote {RESULTS_MD.relative_to(REPO)}")


# ---------------------------------------------------------------- middleware (issue 4)

# `--section middleware`: what each Go middleware costs on /hello, one server start per
# variant (the `ours` target, its settings changed through examples/exampleproject/settings.py's
# BENCH_BOLT_SETTINGS / BENCH_CORS_ALLOWED_ORIGINS hooks). Request ids are always on.
MW_ORIGIN = "https://bench.example.com"
# Signs the token of the `jwt` request; also given to the server (BENCH_JWT_SECRET), so the
# two always agree. Benchmark-only, >= 32 bytes as HS256 requires.
MW_JWT_SECRET = os.environ.get(
    "BENCH_JWT_SECRET", "bench-only-jwt-secret-not-for-real-use-0123456789"
)
MW_BARE = {"ACCESS_LOG": False, "METRICS_PATH": None}
HELLO = {"message": "Hello, World!"}


@dataclass(frozen=True)
class Variant:
    """One server configuration of the middleware section and the requests run against it."""

    name: str
    what: str  # for the report
    bolt: dict[str, object]  # merged into DJANGO_BOLT (BENCH_BOLT_SETTINGS)
    requests: tuple[str, ...]  # keys of mw_requests()
    cors: bool = False  # BENCH_CORS_ALLOWED_ORIGINS=MW_ORIGIN

    @property
    def metrics(self) -> bool:
        return self.bolt.get("METRICS_PATH", "/metrics") is not None

    @property
    def access_log(self) -> bool:
        return bool(self.bolt.get("ACCESS_LOG", True))


MW_VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant(
            "bare", "request ids only: ACCESS_LOG off, no /metrics, no CORS", MW_BARE, ("hello",)
        ),
        Variant(
            "metrics", "bare + metrics (METRICS_PATH default)", {"ACCESS_LOG": False}, ("hello",)
        ),
        Variant(
            "accesslog",
            "bare + access log (ACCESS_LOG default: a JSON line per request, stderr to a file)",
            {"METRICS_PATH": None},
            ("hello",),
        ),
        Variant(
            "cors", "bare + CORS_ALLOWED_ORIGINS, Origin sent", MW_BARE, ("origin",), cors=True
        ),
        Variant(
            "all",
            "defaults (request ids, metrics, access log) + CORS, Origin sent",
            {},
            ("origin",),
            cors=True,
        ),
        Variant(
            "jwt",
            "bare settings; /hello and the JWT route in one server",
            MW_BARE,
            ("hello", "jwt"),
        ),
        Variant(
            "gzip",
            "bare settings; /bench/big without and with Accept-Encoding: gzip",
            MW_BARE,
            ("identity", "gzip"),
        ),
    )
}
# (variant, request) -> (reference variant, reference request, what, issue 4's minimum ratio)
MW_COMPARE: dict[tuple[str, str], tuple[str, str, str, float | None]] = {
    ("metrics", "hello"): ("bare", "hello", "bare", None),
    ("accesslog", "hello"): ("bare", "hello", "bare", None),
    ("cors", "origin"): ("bare", "hello", "bare", None),
    ("all", "origin"): ("bare", "hello", "bare", 0.90),  # <= 10% cost
    ("jwt", "jwt"): ("jwt", "hello", "hello, same server", 0.85),
    ("gzip", "gzip"): ("gzip", "identity", "identity, same server", 0.70),
}


def jwt_token() -> str:
    """A bearer token for /bench/jwt-hello, signed with django_bolt.auth.Token (exp in 10 years)."""
    code = (
        "import sys; from django_bolt.auth import Token; "
        "print(Token.create('bench', expires_in=10 * 365 * 86400, jti=False).encode(sys.argv[1]))"
    )
    return run([py(REPO / ".venv"), "-c", code, MW_JWT_SECRET], cwd=BENCH).strip()


def mw_requests(token: str) -> dict[str, Workload]:
    origin = (("Origin", MW_ORIGIN),)
    return {
        "hello": Workload("/hello", HELLO),
        "origin": Workload("/hello", HELLO, headers=origin),
        "jwt": Workload("/bench/jwt-hello", HELLO, headers=(("Authorization", f"Bearer {token}"),)),
        "identity": Workload("/bench/big", BIG),
        "gzip": Workload("/bench/big", BIG, headers=(("Accept-Encoding", "gzip"),)),
    }


def mw_label(name: str, work: Workload) -> str:
    extra = {"origin": " (Origin)", "jwt": " (Bearer token)", "gzip": " (Accept-Encoding: gzip)"}
    return f"GET {work.url}{extra.get(name, '')}"


def mw_target(variant: Variant) -> Target:
    env = [f"BENCH_BOLT_SETTINGS={json.dumps(variant.bolt, separators=(',', ':'))}"]
    if variant.cors:
        env.append(f"BENCH_CORS_ALLOWED_ORIGINS={MW_ORIGIN}")
    if "jwt" in variant.requests:
        env.append(f"BENCH_JWT_SECRET={MW_JWT_SECRET}")
    return ours(f"ours-{variant.name}", env=tuple(env))


def fetch(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """(status, lower-cased headers, raw body) of a GET; urllib never decompresses."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def check_mw_response(url: str, work: Workload) -> str | None:
    """None if the reply is 200 JSON with the expected body and the middleware visibly did
    its job: X-Request-ID set; gzip when asked (and decoding to the expected JSON), not
    otherwise; Access-Control-Allow-Origin when an Origin is sent."""
    headers = dict(work.headers)
    what = f"GET {url} {headers or ''}".strip()
    try:
        status, got, body = fetch(url, headers)
    except OSError as exc:
        return f"{what} failed: {exc}"
    if status != 200:
        return f"{what}: status {status}: {body[:300]!r}"
    if not got.get("content-type", "").startswith("application/json"):
        return f"{what}: content-type {got.get('content-type')!r}"
    if not got.get("x-request-id"):
        return f"{what}: no X-Request-ID"
    coding = got.get("content-encoding", "")
    if "gzip" in headers.get("Accept-Encoding", ""):
        if coding != "gzip":
            return f"{what}: Content-Encoding {coding!r}, not gzip"
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError) as exc:
            return f"{what}: gzip body does not decode: {exc}"
    elif coding:
        return f"{what}: Content-Encoding {coding!r} without Accept-Encoding"
    if "Origin" in headers and got.get("access-control-allow-origin") != headers["Origin"]:
        return f"{what}: Access-Control-Allow-Origin {got.get('access-control-allow-origin')!r}"
    try:
        if json.loads(body) != work.expected:
            return f"{what}: body {body[:200]!r}"
    except ValueError:
        return f"{what}: not JSON: {body[:200]!r}"
    return None


def check_variant(variant: Variant, base: str, works: dict[str, Workload]) -> list[str]:
    """Start-up checks of one server: the settings took effect, every request answers right."""
    problems = []
    try:
        status = fetch(f"{base}/metrics", {})[0]
    except OSError as exc:
        status = -1
        problems.append(f"GET /metrics failed: {exc}")
    if (status == 200) != variant.metrics:
        problems.append(
            f"GET /metrics: status {status} with METRICS_PATH {'on' if variant.metrics else 'off'}"
        )
    if "jwt" in variant.requests:
        status = fetch(f"{base}{works['jwt'].url}", {})[0]
        if status != 401:
            problems.append(f"GET {works['jwt'].url} without a token: status {status}, not 401")
    for name in variant.requests:
        problem = check_mw_response(f"{base}{works[name].url}", works[name])
        if problem:
            problems.append(problem)
    return problems


def access_lines(log_path: Path, keep: int = 1000) -> int:
    """Count the access-log lines in a server log; keep the first `keep` of them and every
    other line (the full log is one line per request: tens of MB)."""
    count = 0
    tmp = log_path.with_suffix(".tmp")
    with log_path.open("rb") as src, tmp.open("wb") as dst:
        for line in src:
            if b"django_bolt.access" in line:
                count += 1
                if count > keep:
                    continue
            dst.write(line)
        if count > keep:
            dst.write(
                f"[bench] {count - keep} more access-log lines dropped from this copy\n".encode()
            )
    tmp.replace(log_path)
    return count


def dropped_lines(base: str) -> str:
    try:
        text = fetch(f"{base}/metrics", {})[2].decode()
    except OSError:
        return "?"
    found = re.search(r"^bolt_access_log_dropped_total\s+(\S+)", text, re.M)
    return found.group(1) if found else "?"


@dataclass
class VariantRun:
    """One server start of one variant in one round."""

    variant: str
    round: int
    results: dict[str, Result] = field(default_factory=dict)
    access_lines: int = 0
    dropped: str = ""
    errors: list[str] = field(default_factory=list)


def bench_variant(
    variant: Variant,
    rnd: int,
    works: dict[str, Workload],
    args: argparse.Namespace,
    out_dir: Path,
) -> VariantRun:
    out = VariantRun(variant.name, rnd)
    port = free_port()
    log_path = out_dir / f"mw-{variant.name}-r{rnd}-server.log"
    try:
        proc = start_server(mw_target(variant), port, log_path)
    except RuntimeError as exc:
        log(f"{variant.name} did not start: {exc}")
        out.errors.append(f"did not start: {exc}")
        return out
    base = f"http://{HOST}:{port}"
    try:
        out.errors += check_variant(variant, base, works)
        if out.errors:
            return out
        # Paired requests alternate which goes first from round to round.
        order = variant.requests if rnd % 2 == 0 else tuple(reversed(variant.requests))
        for name in order:
            work = works[name]
            script = out_dir / f"{name}.lua" if work.needs_script else None
            result = Result(variant.name, name)
            out_file = out_dir / f"mw-{variant.name}-{name}-r{rnd}.txt"
            out.results[name] = measure(
                result, proc, base + work.url, script, args, out_file, mw_label(name, work)
            )
        if variant.access_log and variant.metrics:
            out.dropped = dropped_lines(base)
    finally:
        stop_server(proc)
    out.access_lines = access_lines(log_path)
    if (out.access_lines > 0) != variant.access_log:
        out.errors.append(
            f"{out.access_lines} access-log lines with ACCESS_LOG"
            f" {'on' if variant.access_log else 'off'}"
        )
    return out


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def mw_table(runs: list[VariantRun], works: dict[str, Workload], rounds: int) -> str:
    """Medians over the rounds; ratios are medians of the per-round ratios (each round's
    pair of numbers comes from the same sitting, the pairs within a server from one process)."""
    by_round = {(r.variant, r.round): r for r in runs}
    columns = ["variant", "request", "RPS", "p50 ms", "p99 ms", "CPU µs/req", "ratio", "vs"]
    columns += ["Δ CPU µs/req", "issue 4 target"]
    lines = ["| " + " | ".join(columns) + " |", "|---|---|" + "---:|" * 5 + "---|---:|---|"]

    def rows(variant: str, name: str) -> list[Result]:
        out = []
        for rnd in range(rounds):
            run_ = by_round.get((variant, rnd))
            if run_ and name in run_.results and run_.results[name].requests:
                out.append(run_.results[name])
        return out

    for variant in MW_VARIANTS.values():
        for name in variant.requests:
            if not any(r.variant == variant.name for r in runs):
                continue
            got = rows(variant.name, name)
            label = mw_label(name, works[name])
            if not got:
                lines.append(f"| {variant.name} | {label} | failed |" + " |" * (len(columns) - 3))
                continue
            rps = median([r.rps for r in got])
            cpu = median([r.cpu_us_per_req for r in got])
            cells = [
                variant.name,
                label,
                f"{rps:,.0f}",
                f"{median([r.p50_ms for r in got]):.2f}",
                f"{median([r.p99_ms for r in got]):.2f}",
                f"{cpu:.1f}",
            ]
            compare = MW_COMPARE.get((variant.name, name))
            if compare is None:
                is_ref = any(c[:2] == (variant.name, name) for c in MW_COMPARE.values())
                cells += ["1.00x" if is_ref else "", "(reference)" if is_ref else "", "", ""]
            else:
                ref_variant, ref_name, what, minimum = compare
                ratios, deltas = [], []
                for rnd in range(rounds):
                    a, b = by_round.get((variant.name, rnd)), by_round.get((ref_variant, rnd))
                    ra = a.results.get(name) if a else None
                    rb = b.results.get(ref_name) if b else None
                    if ra and rb and ra.requests and rb.requests:
                        ratios.append(ra.rps / rb.rps)
                        deltas.append(ra.cpu_us_per_req - rb.cpu_us_per_req)
                verdict = ""
                if minimum is not None:
                    verdict = f"≥ {minimum:.2f}x: " + (
                        "-" if not ratios else "met" if median(ratios) >= minimum else "**not met**"
                    )
                cells += [
                    f"{median(ratios):.2f}x" if ratios else "-",
                    what,
                    f"{median(deltas):+.1f}" if deltas else "-",
                    verdict,
                ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_middleware(args: argparse.Namespace) -> None:
    """`--section middleware`: every variant in args.variants, args.repeat rounds."""
    target = TARGETS["ours"]
    missing = [str(p.relative_to(REPO)) for p in target.requires if not p.exists()]
    if missing:
        raise SystemExit(
            f"middleware section needs ours: {target.skip_hint} (no {', '.join(missing)})"
        )
    ensure_wrk()
    started = dt.datetime.now().astimezone()
    out_dir = OUT_ROOT / started.strftime("%Y%m%d-%H%M%S")
    out_dir.mkdir(parents=True, exist_ok=True)
    works = mw_requests(jwt_token())
    for name, work in works.items():
        write_wrk_script(name, out_dir, work)
    variants = [MW_VARIANTS[v] for v in args.variants]
    runs: list[VariantRun] = []
    for rnd in range(args.repeat):
        # Rotate the order every round, so no variant always runs first or last.
        shift = rnd % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            log(f"round {rnd + 1}/{args.repeat}: {variant.name}")
            runs.append(bench_variant(variant, rnd, works, args, out_dir))

    problems = [f"- {r.variant} (round {r.round + 1}): {e}" for r in runs for e in r.errors]
    problems += [
        f"- {r.variant} {mw_label(name, works[name])} (round {r.round + 1}): {e}"
        for r in runs
        for name, res in r.results.items()
        for e in res.errors
    ]
    problems += [
        f"- {r.variant} {mw_label(name, works[name])} (round {r.round + 1}): other processes used"
        f" {res.other_cpu_pct:.0f}% of a CPU during the run; numbers are suspect"
        for r in runs
        for name, res in r.results.items()
        if res.other_cpu_pct > BUSY_WARN_PCT
    ]
    logged = []
    for r in runs:
        if MW_VARIANTS[r.variant].access_log and r.results:
            requests = sum(res.requests for res in r.results.values())
            dropped = f", bolt_access_log_dropped_total {r.dropped}" if r.dropped else ""
            logged.append(
                f"{r.variant} round {r.round + 1}: {r.access_lines:,} lines for {requests:,}"
                f" measured requests (plus warm-up){dropped}"
            )
    settings = [
        f"- `{v.name}`: {v.what}; `BENCH_BOLT_SETTINGS={json.dumps(v.bolt)}`"
        + (f", `BENCH_CORS_ALLOWED_ORIGINS={MW_ORIGIN}`" if v.cors else "")
        for v in variants
    ]
    wrk = shlex.join(wrk_argv("http://127.0.0.1:PORT/PATH", args.duration, args.connections))
    placement = (
        f"Server on CPU {SERVER_CPU}, wrk on CPU {CLIENT_CPU}"
        if PIN
        else "Nothing pinned: the server and wrk share both CPUs"
    )
    short_versions, full_versions = versions(["ours"])
    argv0 = shlex.join([*pinned(SERVER_CPU), *fill_port(target.argv, "PORT")])
    report = "\n\n".join(
        [
            f"### {started:%Y-%m-%d %H:%M %Z}",
            f"Machine: {machine()}. {placement}; {args.duration}s per request,"
            f" {args.connections} connections; median of {args.repeat} round(s), one server"
            " start per variant per round, variant order rotated every round.",
            mw_table(runs, works, args.repeat),
            "Ratios are RPS ÷ the reference's RPS (median of the per-round ratios); Δ CPU µs/req"
            " is the server CPU per request above the reference's. Request ids are always on"
            " (there is no setting to turn them off), so `bare` includes them.",
            "Variants (each a separate `runbolt` of `examples/`, settings through the"
            " `BENCH_*` hooks at the end of `examples/exampleproject/settings.py`):\n"
            + "\n".join(settings),
            "Checked before each load: the reply (JSON body, `X-Request-ID`; gzip decoded to the"
            " same JSON; `Access-Control-Allow-Origin` when an Origin is sent), `/metrics`"
            " answering only when on, the JWT route refusing a request without a token (401),"
            " and after each server stopped, access-log lines only when on.",
            *(["Access log:\n" + "\n".join(f"- {line}" for line in logged)] if logged else []),
            *(["Problems:\n" + "\n".join(problems)] if problems else []),
            "Commands:\n"
            + "\n".join(
                [
                    f"- this run: `python3 bench/run.py {shlex.join(sys.argv[1:])}`",
                    f"- server (in `examples`): `{argv0.replace(str(REPO) + '/', '')}` with"
                    " `env BENCH_BOLT_SETTINGS=... [BENCH_CORS_ALLOWED_ORIGINS=...]` in front",
                    f"- load: `{wrk}` after a {args.warmup}s warm-up; requests with headers get"
                    " `-s .out/<run>/<request>.lua` (`wrk.headers[...]`)",
                ]
            ),
            "Versions:\n" + short_versions,
        ]
    )
    (out_dir / "versions.txt").write_text(full_versions)
    (out_dir / "report.md").write_text(report + "\n")
    print(report)
    log(f"raw wrk outputs, server logs and versions in {out_dir.relative_to(REPO)}")
    if args.write_results:
        write_results(report, "middleware", "Middleware cost (issue 4)")


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per path")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per path")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="do not pin the server and wrk to one CPU each (for comparing worker counts)",
    )
    parser.add_argument(
        "--section",
        default="main",
        help="with --write-results: which generated section of RESULTS.md to rewrite;"
        " `middleware` runs the middleware-cost variants instead of --targets/--paths",
    )
    parser.add_argument(
        "--variants",
        default=",".join(MW_VARIANTS),
        help=f"--section middleware: which variants ({','.join(MW_VARIANTS)})",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="--section middleware: rounds (one server start per variant each); medians reported",
    )
    parser.add_argument("--targets", default="ours,ceiling,bridge,fastapi,djbolt")
    parser.add_argument(
        "--paths", default="hello,items", help=f"comma-separated, or all: {','.join(PATHS)}"
    )
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgresql"),
        help="the database of the `users` path, for every target (PostgreSQL: BENCH_DATABASE_URL"
        " or a throwaway cluster from tests/pg/start.sh); pool and ORM threads: DATABASE_POOL_SIZE",
    )
    parser.add_argument(
        "--write-results",
        action="store_true",
        help="rewrite the generated section of bench/RESULTS.md",
    )
    args = parser.parse_args()
    args.targets = [t for t in args.targets.split(",") if t]
    if args.paths == "all":  # the database paths only with --db
        args.paths = [p for p in PATHS if args.db or p not in DB_PATHS]
    else:
        args.paths = [p for p in args.paths.split(",") if p]
    for name in args.targets:
        if name not in TARGETS:
            parser.error(f"unknown target {name!r}; known: {', '.join(TARGETS)}")
    for name in args.paths:
        if name not in PATHS:
            parser.error(f"unknown path {name!r}; known: {', '.join(PATHS)}")
    args.variants = [v for v in args.variants.split(",") if v]
    for name in args.variants:
        if name not in MW_VARIANTS:
            parser.error(f"unknown variant {name!r}; known: {', '.join(MW_VARIANTS)}")
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    if args.db is None and any(p in DB_PATHS for p in args.paths):
        parser.error(f"path(s) {', '.join(DB_PATHS)} need --db sqlite or --db postgresql")
    return args


def main() -> None:
    global PIN
    args = parse_args()
    PIN = not args.no_pin
    if PIN and (os.cpu_count() or 1) < 2:
        raise SystemExit("need 2 CPUs: the server is pinned to CPU 0 and wrk to CPU 1")
    if args.section == "middleware":
        run_middleware(args)
        return
    names: list[str] = []
    skipped: list[str] = []
    for name in args.targets:
        missing = [str(p.relative_to(REPO)) for p in TARGETS[name].requires if not p.exists()]
        if missing:
            skipped.append(f"- {name} skipped: {TARGETS[name].skip_hint} (no {', '.join(missing)})")
            log(skipped[-1][2:])
        else:
            names.append(name)
    setup(names)
    started = dt.datetime.now().astimezone()
    out_dir = OUT_ROOT / started.strftime("%Y%m%d-%H%M%S")
    out_dir.mkdir(parents=True, exist_ok=True)
    for path_name in args.paths:
        write_wrk_script(path_name, out_dir)
    if args.db:
        # Inherited by every server started below: the same database for all of them.
        os.environ["DATABASE_URL"] = prepare_database(args.db, out_dir)

    results: list[Result] = []
    for name in names:
        results += bench_target(TARGETS[name], args, out_dir)

    short_versions, full_versions = versions(names)
    placement = (
        f"Server on CPU {SERVER_CPU}, wrk on CPU {CLIENT_CPU}"
        if PIN
        else "Nothing pinned: the server and wrk share both CPUs"
    )
    report = "\n\n".join(
        [
            f"### {started:%Y-%m-%d %H:%M %Z}",
            f"Machine: {machine()}. {placement}; "
            f"{args.duration}s per path, {args.connections} connections."
            + (f" Database: {args.db}." if args.db else ""),
            "\n".join([table(results), *skipped]),
            "Commands:\n" + commands(names, args),
            "Versions:\n" + short_versions,
        ]
    )
    (out_dir / "versions.txt").write_text(full_versions)
    (out_dir / "report.md").write_text(report + "\n")
    print(report)
    log(f"raw wrk outputs, server logs and versions in {out_dir.relative_to(REPO)}")
    if args.write_results:
        write_results(report, args.section)


if __name__ == "__main__":
    main()
