"""The load runner: start and stop one server, check its reply, run wrk against it and account
the CPU the server, wrk and everything else used meanwhile."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from harness.shell import log
from harness.targets import HOST, Target
from harness.workloads import PATHS, Workload

SERVER_CPU, CLIENT_CPU = "0", "1"
PIN = True  # --no-pin: server and wrk share both CPUs (the workers comparison)


def pinned(cpu: str) -> list[str]:
    """`taskset -c cpu` in front of a command, unless --no-pin."""
    return ["taskset", "-c", cpu] if PIN else []


def set_pinning(on: bool) -> None:
    """--no-pin turns pinning off for the whole run."""
    global PIN
    PIN = on


def placement() -> str:
    """Where the server and wrk ran, for the reports."""
    if PIN:
        return f"Server on CPU {SERVER_CPU}, wrk on CPU {CLIENT_CPU}"
    return "Nothing pinned: the server and wrk share both CPUs"


START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
ALL_PATHS = "*"  # Result.path of a target that failed before any path ran


@dataclass
class Result:
    """One target on one path: what wrk reported and what the CPU accounting found."""

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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def fill_port(argv: tuple[str, ...], port: str) -> list[str]:
    return [arg.replace("{port}", port) for arg in argv]


def start_server(
    target: Target,
    port: int,
    log_path: Path,
    env: dict[str, str] | None = None,
    pin: bool = True,
) -> subprocess.Popen[bytes]:
    """Start target on port (pinned to the server CPU unless pin is False, with env if given:
    else this process's), and return once it accepts connections."""
    argv = [*(pinned(SERVER_CPU) if pin else []), *fill_port(target.argv, str(port))]
    log(f"start {target.name}: {shlex.join(argv)}  (cwd {target.cwd})")
    with log_path.open("wb") as out:
        # Own session, so stop_server can signal the server and any workers it forks.
        proc = subprocess.Popen(
            argv,
            cwd=target.cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            lines = log_path.read_text(errors="replace").strip().splitlines() or ["(no output)"]
            raise RuntimeError(f"exited with {proc.returncode}: {lines[-1]} (see {log_path})")
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
