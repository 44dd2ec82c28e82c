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
import os

from harness.compare import run_main
from harness.load import set_pinning
from harness.middleware import MW_VARIANTS, run_middleware
from harness.targets import TARGETS
from harness.workloads import DB_PATHS, PATHS


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
    args = parse_args()
    set_pinning(not args.no_pin)
    if not args.no_pin and (os.cpu_count() or 1) < 2:
        raise SystemExit("need 2 CPUs: the server is pinned to CPU 0 and wrk to CPU 1")
    if args.section == "middleware":
        run_middleware(args)
    else:
        run_main(args)


if __name__ == "__main__":
    main()
