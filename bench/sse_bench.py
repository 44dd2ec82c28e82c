"""SSE streams side by side (issue 20): ours, django-bolt and FastAPI (sse-starlette), one sitting.

    python3 bench/sse_bench.py                          # 10,000 streams, 2 rounds, all three
    python3 bench/sse_bench.py --targets ours djbolt --rounds 4
    python3 bench/sse_bench.py --targets ours base --base /path/to/other/checkout   # A/B
    python3 bench/sse_bench.py --targets ours old --tree old=/path/to/checkout      # the same

Each server serves `GET /bench/sse` (one event per second, its data the server's
`time.time_ns()` at the yield; pings at the default 15 s) pinned to CPU 0, one process:
ours `runbolt --workers 1` (`ACCESS_LOG` off, `MAX_CONNECTIONS` 30,000), django-bolt
`runbolt --processes 1`, FastAPI `uvicorn --workers 1` with sse-starlette. `bench/sseload`
(Go) pinned to CPU 1 opens the streams, waits for them to settle and measures the tick
overhead of every event (arrival minus the time it carries), the server's RSS and its CPU
per event. Targets alternate within each round. Prints one JSON line per run, then a table.
`base` (`--base PATH`) or any `--tree NAME=PATH` is `ours` from another checkout (built there
with `make build`), for interleaved A/B runs of two or more trees.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.load import free_port, start_server, stop_server  # noqa: E402
from harness.prepare import ensure_venv, find_python  # noqa: E402
from harness.targets import BENCH, REPO, TARGETS, VENV_DJBOLT, VENV_FASTAPI, Target, ours  # noqa: E402

SSELOAD = BENCH / ".build" / "sseload"
ALL = ("ours", "djbolt", "fastapi")
OURS_SETTINGS = json.dumps({"ACCESS_LOG": False, "MAX_CONNECTIONS": 30000})


def serving_pid(pid: int) -> int:
    """The process that serves: pid, or its only child while it has exactly one (a wrapper
    that forked instead of exec'ing)."""
    while True:
        kids = Path(f"/proc/{pid}/task/{pid}/children")
        try:
            children = kids.read_text().split()
        except OSError:
            return pid
        if len(children) != 1:
            return pid
        pid = int(children[0])


def target_for(name: str, trees: dict[str, Path]) -> Target:
    """A peer, ours, or ours from another checkout (--base, --tree NAME=PATH)."""
    if name in trees:
        t = ours(name)
        argv = tuple(a.replace(str(REPO), str(trees[name])) for a in t.argv)
        return Target(name=name, cwd=trees[name] / "examples", argv=argv)
    if name not in ALL:
        raise SystemExit(f"unknown target {name!r}: one of {', '.join(ALL)} or a --tree name")
    return TARGETS[name]


def prepare(names: list[str]) -> None:
    subprocess.run(["go", "build", "-o", str(SSELOAD), "./bench/sseload"], cwd=REPO, check=True)
    if "djbolt" in names:
        ensure_venv(VENV_DJBOLT, find_python((3, 12)), BENCH / "requirements-djbolt.txt")
    if "fastapi" in names:
        python = VENV_FASTAPI / "bin" / "python"
        if not python.exists():
            ensure_venv(VENV_FASTAPI, sys.executable, BENCH / "requirements-fastapi.txt")
        elif subprocess.run([str(python), "-c", "import sse_starlette"]).returncode:
            # A venv made before sse-starlette joined the requirements: add the pinned line
            # to it rather than rebuilding it (the venv may be shared by other checkouts).
            pin = next(
                line
                for line in (BENCH / "requirements-fastapi.txt").read_text().splitlines()
                if line.startswith("sse-starlette==")
            )
            subprocess.run([str(python), "-m", "pip", "install", "-q", pin], check=True)
    # Both sides hold one descriptor per stream.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Server:
    def __init__(self, target: Target) -> None:
        self.name = target.name
        self.port = free_port()
        env = {**os.environ, "BENCH_BOLT_SETTINGS": OURS_SETTINGS}
        self.proc = start_server(
            target, self.port, Path(f"/tmp/sse-bench-{target.name}.log"), env=env
        )
        self.pid = serving_pid(self.proc.pid)

    def stop(self) -> None:
        stop_server(self.proc)


def sseload(server: Server, args: argparse.Namespace) -> dict[str, object]:
    argv = [
        "taskset", "-c", "1", str(SSELOAD), "-url", f"http://127.0.0.1:{server.port}/bench/sse",
        "-streams", str(args.streams), "-rate", str(args.rate), "-settle", f"{args.settle}s",
        "-duration", f"{args.duration}s", "-pid", str(server.pid),
    ]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"sseload failed: {out.stderr.strip()}")
    if out.stderr.strip():  # the first few streams that failed, and why
        print(f"{server.name}: {out.stderr.strip()}", file=sys.stderr)
    result: dict[str, object] = json.loads(out.stdout)
    return result


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def table(rows: list[dict[str, object]]) -> str:
    cols = ["round", "server", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "RSS MB"]
    cols += ["CPU µs/event", "events", "failed", "load"]
    lines = ["| " + " | ".join(cols) + " |", "|---|---|" + "---:|" * 10]
    for r in rows:
        cells = [
            r["round"], r["server"],
            *(f"{float(r[k]):.2f}" for k in ("p50_ms", "p90_ms", "p99_ms", "p999_ms")),
            f"{float(r['max_ms']):.1f}", f"{float(r.get('server_rss_mb', 0)):.0f}",
            f"{float(r.get('server_cpu_us_per_event', 0)):.1f}",
            r["events"], r["failed"], r["load"],
        ]  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--targets", nargs="+", default=list(ALL), help=f"of {', '.join(ALL)}")
    p.add_argument("--base", type=Path, default=None, help="another checkout: the `base` target")
    p.add_argument(
        "--tree", action="append", default=[], metavar="NAME=PATH", help="ours from PATH as NAME"
    )
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--streams", type=int, default=10_000)
    p.add_argument("--rate", type=int, default=2000, help="streams opened per second")
    p.add_argument("--settle", type=int, default=3, help="seconds after the ramp before measuring")
    p.add_argument("--duration", type=int, default=20, help="measured seconds")
    args = p.parse_args()
    trees = {"base": args.base} if args.base else {}
    trees.update((n, Path(p)) for n, _, p in (t.partition("=") for t in args.tree))
    targets = [target_for(n, trees) for n in args.targets]
    prepare(args.targets)
    rows: list[dict[str, object]] = []
    for r in range(1, args.rounds + 1):
        for target in targets:
            server = Server(target)
            try:
                res = sseload(server, args)
            finally:
                server.stop()
            res.update(round=r, server=target.name, load=load_average())
            rows.append(res)
            print(json.dumps(res), flush=True)
    print(table(rows))


if __name__ == "__main__":
    main()
