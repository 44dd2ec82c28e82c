"""WebSocket benchmarks (issue 17), reported in bench/RESULTS.md.

    .venv/bin/python bench/ws_bench.py echo --rounds 3         # ours vs djbolt vs fastapi
    .venv/bin/python bench/ws_bench.py broadcast --members 10000
    .venv/bin/python bench/ws_bench.py broadcast --members 2000 --workers 2 --state redis://127.0.0.1:6379/0
    .venv/bin/python bench/ws_bench.py capacity --conns 10000 25000 50000

The load comes from bench/wsload (Go, fasthttp/websocket). Each server is pinned to CPU 0
and the load generator to CPU 1 (`taskset`), as bench/run.py does; server CPU is read from
/proc (utime + stime of the server's process tree) before and after each measurement, so
the table gives CPU microseconds per message next to the throughput. Echo targets alternate
within each round (A/B interleaved), since the machine is shared.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.load import free_port, start_server, stop_server  # noqa: E402
from harness.prepare import ensure_venv, find_python  # noqa: E402
from harness.targets import BENCH, REPO, TARGETS, VENV_DJBOLT, VENV_FASTAPI  # noqa: E402

WSLOAD = BENCH / ".build" / "wsload"
TICK = os.sysconf("SC_CLK_TCK")
ECHO_TARGETS = ("ours", "djbolt", "fastapi")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of pid and its descendants."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        stats[int(entry)] = fields
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        if p in stats:
            total += (int(stats[p][11]) + int(stats[p][12])) / TICK
        todo.extend(children.get(p, []))
    return total


def tree_rss_kib(pid: int) -> int:
    total, todo = 0, [pid]
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                raw = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            kids.setdefault(int(raw[raw.rindex(")") + 2 :].split()[1]), []).append(int(entry))
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
        todo.extend(kids.get(p, []))
    return total


class Server:
    def __init__(self, name: str, extra: tuple[str, ...] = (), workers: int | None = None) -> None:
        target = TARGETS[name]
        self.port = free_port()
        argv = list(target.argv)
        if workers is not None:
            argv[argv.index("--workers") + 1] = str(workers)
        env = {
            **os.environ,
            "EXAMPLE_DB": "/tmp/ws-bench-example.sqlite3",
            **dict(e.split("=", 1) for e in extra),
        }
        self.proc = start_server(
            dataclasses.replace(target, argv=tuple(argv)),
            self.port,
            Path(f"/tmp/ws-bench-{name}.log"),
            env=env,
            pin=workers in (None, 1),
        )

    def stop(self) -> None:
        stop_server(self.proc)


def wsload(*args: str, cpu: str = "1") -> dict[str, object]:
    out = subprocess.run(
        ["taskset", "-c", cpu, str(WSLOAD), *args], capture_output=True, text=True, timeout=3600
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    result: dict[str, object] = json.loads(out.stdout)
    return result


def echo(rounds: int, conns: int, seconds: int, targets: tuple[str, ...] = ECHO_TARGETS) -> None:
    if "fastapi" in targets:
        ensure_venv(VENV_FASTAPI, sys.executable, BENCH / "requirements-fastapi.txt")
    if "djbolt" in targets:
        ensure_venv(VENV_DJBOLT, find_python((3, 12)), BENCH / "requirements-djbolt.txt")
    rows: dict[str, list[dict[str, object]]] = {t: [] for t in targets}
    for r in range(rounds):
        for name in targets:
            server = Server(name)
            try:
                url = f"ws://127.0.0.1:{server.port}/ws/echo"
                wsload("-url", url, "-conns", "50", "-duration", "2s")  # warm-up
                cpu0 = tree_cpu(server.proc.pid)
                res = wsload("-url", url, "-conns", str(conns), "-duration", f"{seconds}s")
                cpu = tree_cpu(server.proc.pid) - cpu0
                res["cpu_us_per_msg"] = 1e6 * cpu / max(1, int(res["messages"]))  # type: ignore[call-overload]
                res["round"] = r
                rows[name].append(res)
                print(name, json.dumps(res), flush=True)
            finally:
                server.stop()
    print(json.dumps(rows))


def broadcast(
    members: int,
    rounds: int,
    workers: int | None = None,
    state: str | None = None,
    reader: str = "goroutines",
) -> None:
    """One sitting; with workers > 1 and state (a redis:// URL), the members are spread over
    the workers and the broadcast reaches the other worker through Redis pub/sub."""
    extra = (f"DJANGO_BOLT_STATE={state}",) if state else ()
    if workers is not None:
        extra = (*extra, f"DJANGO_BOLT_WORKERS={workers}")
    server = Server("ours", extra=extra, workers=workers)
    try:
        cpu0 = tree_cpu(server.proc.pid)
        res = wsload(
            "-mode", "broadcast", "-url", f"ws://127.0.0.1:{server.port}/ws/bench/group",
            "-conns", str(members), "-rounds", str(rounds), "-reader", reader,
        )  # fmt: skip
        res["server_cpu_s"] = tree_cpu(server.proc.pid) - cpu0
        res["server_rss_kib"] = tree_rss_kib(server.proc.pid)
        res["workers"], res["state"] = workers or 1, bool(state)
        print(json.dumps(res), flush=True)
    finally:
        server.stop()


def capacity(counts: list[int], workers: int, seconds: int, every: int) -> None:
    for n in counts:
        server = Server("ours", extra=("DJANGO_BOLT_WORKERS=" + str(workers),), workers=workers)
        try:
            time.sleep(2)
            base = tree_rss_kib(server.proc.pid)
            # Clients in several processes (each under the 20,000 descriptor limit).
            per = 9000
            procs = []
            for i in range(0, n, per):
                k = min(per, n - i)
                url = f"ws://127.0.0.1:{server.port}/ws/echo"
                argv = [str(WSLOAD), "-mode", "idle", "-url", url, "-conns", str(k)]
                argv += ["-duration", f"{seconds}s", "-every", f"{every}s", "-sources", "16"]
                procs.append(
                    subprocess.Popen(
                        argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
                    )
                )
            time.sleep(seconds * 0.8)
            rss = tree_rss_kib(server.proc.pid)
            results = [json.loads(p.communicate()[0]) for p in procs]
            opened = sum(r["opened"] for r in results)
            alive = sum(r["alive_at_end"] for r in results)
            echoes = sum(r["echoes"] for r in results)
            row = {
                "conns": n,
                "workers": workers,
                "opened": opened,
                "alive_at_end": alive,
                "echoes": echoes,
                "server_rss_mib": round(rss / 1024, 1),
                "baseline_rss_mib": round(base / 1024, 1),
                "kib_per_conn": round((rss - base) / max(1, opened), 1),
            }
            print(json.dumps(row), flush=True)
        finally:
            server.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("echo")
    e.add_argument("--rounds", type=int, default=3)
    e.add_argument("--conns", type=int, default=1000)
    e.add_argument("--seconds", type=int, default=10)
    e.add_argument("--targets", nargs="+", choices=ECHO_TARGETS, default=list(ECHO_TARGETS))
    b = sub.add_parser("broadcast")
    b.add_argument("--members", type=int, default=10_000)
    b.add_argument("--rounds", type=int, default=20)
    b.add_argument(
        "--workers", type=int, default=None, help="runbolt workers (default: the target's one)"
    )
    b.add_argument(
        "--state", default=None, help="DJANGO_BOLT_STATE: a redis:// URL (groups across workers)"
    )
    b.add_argument(
        "--reader",
        choices=("goroutines", "epoll"),
        default="goroutines",
        help="members read by one goroutine each (the first sittings) or one epoll loop",
    )
    c = sub.add_parser("capacity")
    c.add_argument("--conns", type=int, nargs="+", default=[10_000, 25_000, 50_000])
    c.add_argument("--workers", type=int, default=4)
    c.add_argument("--seconds", type=int, default=60)
    c.add_argument("--every", type=int, default=60)
    args = p.parse_args()
    subprocess.run(["go", "build", "-o", str(WSLOAD), "./bench/wsload"], cwd=REPO, check=True)
    if args.cmd == "echo":
        echo(args.rounds, args.conns, args.seconds, tuple(args.targets))
    elif args.cmd == "broadcast":
        broadcast(args.members, args.rounds, args.workers, args.state, args.reader)
    else:
        capacity(args.conns, args.workers, args.seconds, args.every)


if __name__ == "__main__":
    main()
