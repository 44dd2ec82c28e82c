"""The report of a run: the results table, versions, machine and commands, and rewriting the
generated sections of bench/RESULTS.md."""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

from harness.load import SERVER_CPU, Result, fill_port, pinned, wrk_argv
from harness.shell import capture, log
from harness.targets import BENCH, REPO, TARGETS
from harness.workloads import PATHS, url_path

RESULTS_MD = BENCH / "RESULTS.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def markers(section: str) -> tuple[str, str]:
    """The markers of a generated section of RESULTS.md ("main" is the default table)."""
    if section == "main":
        return BEGIN, END
    return f"<!-- bench:{section}:begin -->", f"<!-- bench:{section}:end -->"


BUSY_WARN_PCT = 15.0  # "other CPU %" above this flags a run that shared the machine


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
            " `PATHS` in `harness/workloads.py`)"
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
