#!/usr/bin/env python3
"""The CI performance gate: ours against the ceiling on /hello, /items, /bench/big and a Struct
POST, a few seconds each; exits 1 when a CPU ratio stays below its floor after one rerun.
Appends every run to bench/history.jsonl. See bench/README.md, "The CI perf gate".

    python3 bench/gate.py [--duration 3] [--warmup 1] [--paths hello,items,big,struct]
"""

from __future__ import annotations

import argparse
import sys

from harness.gate import FLOORS, run_gate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=3, help="seconds of load per path")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per path")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--paths", default=",".join(FLOORS), help="comma-separated")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and wrk")
    args = parser.parse_args()
    args.paths = [p for p in args.paths.split(",") if p]
    return run_gate(args)


if __name__ == "__main__":
    sys.exit(main())
