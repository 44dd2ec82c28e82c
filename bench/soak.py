#!/usr/bin/env python3
"""Soak: 3 x 60 s of wrk at 256 connections against runbolt; no errors, and memory,
goroutines and open descriptors flat between the second and the third run.

Stdlib only. The server (examples/ under `runbolt`, one process, production defaults:
compression, /metrics and access logs on) is pinned to CPU 0 and wrk to CPU 1, as in
bench/run.py. After each run the server is left idle for a few seconds, then /metrics is
scraped (go_goroutines, process_resident_memory_bytes, process_open_fds,
bolt_open_connections). Run 1 warms caches and pools; runs 2 and 3 must match.

    python3 bench/soak.py [--runs 3] [--duration 60] [--connections 256] [--path /hello]
                          [--script FILE.lua]

`--script` hands wrk a Lua script (method, body, headers), e.g. the upload one that
`bench/run.py` writes to `bench/.out/<run>/upload.lua`, to soak a POST workload.
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
HOST = "127.0.0.1"
SETTLE_S = 12.0  # idle before a scrape: fasthttp retires idle workers after 10 s

# Flat means: between run 2 and run 3 at most this much growth.
MAX_RSS_GROWTH = 0.10  # fraction of run 2's RSS
MAX_GOROUTINE_GROWTH = 10
MAX_FD_GROWTH = 5

SAMPLED = (
    "go_goroutines",
    "process_resident_memory_bytes",
    "process_open_fds",
    "bolt_open_connections",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    python = REPO / ".venv" / "bin" / "python"
    argv = ["taskset", "-c", "0", str(python), "manage.py", "runbolt", "--host", HOST]
    argv += ["--port", str(port), "--workers", "1"]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=REPO / "examples", stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"runbolt exited with {proc.returncode}; see {log}")
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("runbolt did not listen within 60 s")


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    values = {}
    for name in SAMPLED:
        m = re.search(rf"^{name} (\S+)$", text, re.M)
        values[name] = float(m.group(1)) if m else float("nan")
    return values


def run_wrk(
    url: str, duration: int, connections: int, script: Path | None
) -> tuple[str, list[str]]:
    argv = [
        "taskset",
        "-c",
        "1",
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        *(("-s", str(script)) if script else ()),
        url,
    ]
    out = subprocess.run(argv, capture_output=True, text=True, check=False)
    text = out.stdout + out.stderr
    errors = [
        m.group(0) for m in re.finditer(r"(Non-2xx or 3xx responses: \d+|Socket errors: .*)", text)
    ]
    if out.returncode != 0:
        errors.append(f"wrk exited {out.returncode}")
    return text, errors


def summary(text: str) -> str:
    rps = re.search(r"^Requests/sec:\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    reqs = re.search(r"^\s*(\d+) requests in", text, re.M)
    n, per_s, tail = (m.group(1) if m else "?" for m in (reqs, rps, p99))
    return f"{n} requests, {per_s} req/s, p99 {tail}"


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--connections", type=int, default=256)
    ap.add_argument("--path", default="/hello")
    ap.add_argument("--script", type=Path, help="wrk Lua script (method, body, headers)")
    ap.add_argument(
        "--server-log", type=Path, default=Path("/dev/null"), help="runbolt output (access logs!)"
    )
    args = ap.parse_args()

    port = free_port()
    proc = start_server(port, args.server_log)
    rows: list[tuple[int, str, list[str], dict[str, float]]] = []
    try:
        baseline = scrape(port)
        print(f"idle before load: {baseline}", flush=True)
        for i in range(1, args.runs + 1):
            text, errors = run_wrk(
                f"http://{HOST}:{port}{args.path}", args.duration, args.connections, args.script
            )
            time.sleep(SETTLE_S)
            sample = scrape(port)
            rows.append((i, summary(text), errors, sample))
            print(f"run {i}: {summary(text)}; errors: {errors or 'none'}; {sample}", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    print()
    print("| run | load | errors | RSS MiB | goroutines | open fds | open conns |")
    print("|---|---|---|---|---|---|---|")
    for i, load, errors, s in rows:
        print(
            f"| {i} | {load} | {'; '.join(errors) or 'none'} | "
            f"{s['process_resident_memory_bytes'] / 2**20:.1f} | {s['go_goroutines']:.0f} | "
            f"{s['process_open_fds']:.0f} | {s['bolt_open_connections']:.0f} |"
        )
    failures = [f"run {i}: {'; '.join(e)}" for i, _, e, _ in rows if e]
    if len(rows) >= 3:
        a, b = rows[1][3], rows[2][3]
        rss_a, rss_b = a["process_resident_memory_bytes"], b["process_resident_memory_bytes"]
        if rss_b > rss_a * (1 + MAX_RSS_GROWTH):
            failures.append(
                f"RSS grew {rss_a / 2**20:.1f} -> {rss_b / 2**20:.1f} MiB between runs 2 and 3"
            )
        if b["go_goroutines"] - a["go_goroutines"] > MAX_GOROUTINE_GROWTH:
            failures.append(f"goroutines grew {a['go_goroutines']:.0f} -> {b['go_goroutines']:.0f}")
        if b["process_open_fds"] - a["process_open_fds"] > MAX_FD_GROWTH:
            failures.append(
                f"open fds grew {a['process_open_fds']:.0f} -> {b['process_open_fds']:.0f}"
            )
    print()
    print(
        "FAIL: " + "; ".join(failures)
        if failures
        else "PASS: no errors; RSS, goroutines and fds flat (runs 2-3)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
