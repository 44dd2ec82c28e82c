"""The main section: every `--targets` server on every `--paths` workload, one server at a time,
and the report comparing them."""

from __future__ import annotations

import argparse
import datetime as dt
import os

from harness.load import Result, bench_target, placement, write_wrk_script
from harness.prepare import prepare_database, setup
from harness.report import commands, machine, table, versions, write_results
from harness.shell import log
from harness.targets import REPO, TARGETS, new_run_dir


def run_main(args: argparse.Namespace) -> None:
    """Bench args.targets on args.paths; print the report (and write RESULTS.md if asked)."""
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
    out_dir = new_run_dir(started.strftime("%Y%m%d-%H%M%S"))
    for path_name in args.paths:
        write_wrk_script(path_name, out_dir)
    if args.db:
        # Inherited by every server started below: the same database for all of them.
        os.environ["DATABASE_URL"] = prepare_database(args.db, out_dir)

    results: list[Result] = []
    for name in names:
        results += bench_target(TARGETS[name], args, out_dir)

    short_versions, full_versions = versions(names)
    report = "\n\n".join(
        [
            f"### {started:%Y-%m-%d %H:%M %Z}",
            f"Machine: {machine()}. {placement()}; "
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
