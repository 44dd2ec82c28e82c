#!/usr/bin/env python3
"""Where a Go target's CPU goes, from `perf record -g` files: every sample is counted once,
in the bucket of its leaf-most frame that matches one (so the rows add up to the total),
and printed as a markdown table of shares and, given each recording's CPU µs per request,
of µs per request.

    perf record -F 2000 -g -p <server pid> -o bridge.data -- sleep 5   # under wrk load
    python3 bench/perf_buckets.py --us 6.4,4.0 bridge.data loop.data

Used for the event-loop measurement in bench/RESULTS.md (issue 20, part E).
"""

from __future__ import annotations

import argparse
import re
import subprocess
from collections import Counter

# (bucket, pattern of a frame's symbol); the first bucket whose pattern a frame matches,
# walking from the leaf up, takes the sample.
BUCKETS: list[tuple[str, str]] = [
    (
        "write(2) incl. loopback delivery",
        r"^(syscall\.write|syscall\.Write|internal/poll\.\(\*FD\)\.Write)$",
    ),
    ("read(2)", r"^(syscall\.read|syscall\.Read|internal/poll\.\(\*FD\)\.Read)$"),
    (
        "readiness: netpoll / epoll_wait / select",
        r"^(runtime\.netpoll|syscall\.EpollWait|syscall\.Select)$",
    ),
    (
        "other syscalls (accept, epoll_ctl, shutdown)",
        r"^syscall\.(EpollCtl|Accept4|Shutdown|SetsockoptInt)$",
    ),
    (
        "Go scheduler: park, wake, sysmon, syscall entry/exit",
        r"^runtime\.(futex|sysmon|park_m|schedule|findRunnable|gopark|goready|ready|mcall"
        r"|exitsyscall|entersyscall|reentersyscall|casgstatus|notewakeup|notesleep|startm|stopm"
        r"|wakep|handoffp|retake|usleep|osyield|mPark|gosched_m|goschedImpl|checkTimers"
        r"|runqgrab|stealWork|injectglist|netpollblock|netpollunblock|lock2|unlock2)$",
    ),
    ("clock reads", r"(__vdso_clock_gettime|^time\.now$|^time\.Now$|^runtime\.nanotime)"),
    (
        "GC, allocation",
        r"^runtime\.(gcBgMarkWorker|mallocgc|gcDrain|bgsweep|bgscavenge|growslice|makeslice"
        r"|newobject|memclrNoHeapPointers)",
    ),
    (
        "channels, locks",
        r"^(runtime\.(chanrecv|chansend|selectgo)|sync\.\(\*Mutex\)|internal/sync)",
    ),
    ("bridge functions", r"libbolt/bridge\."),
    (
        "libbolt front, router, chain, metrics, access log",
        r"(libbolt/(server|router|accesslog|metrics|middleware|extra)|fasthttp/router|VictoriaMetrics)",
    ),
    ("fasthttp (serve loop, parse, response)", r"valyala/fasthttp"),
    ("the target's own code", r"^(main\.|github\.com/django-bolt-go/django-bolt-go/bench/)"),
]
UNMATCHED = "other (no matching frame)"
PATTERNS = [(name, re.compile(pattern)) for name, pattern in BUCKETS]
FRAME = re.compile(r"[0-9a-f]+\s+(.*?)(?:\+0x[0-9a-f]+)?$")


def bucket_of(frames: list[str]) -> str:
    for frame in frames:
        for name, pattern in PATTERNS:
            if pattern.search(frame):
                return name
    return UNMATCHED


def count(path: str) -> tuple[Counter[str], int]:
    """Samples per bucket and in all, from one perf.data file."""
    script = subprocess.run(
        ["perf", "script", "-i", path, "-F", "ip,sym", "--no-demangle"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counts: Counter[str] = Counter()
    frames: list[str] = []
    for line in [*script.splitlines(), ""]:
        line = line.strip()
        if not line:
            if frames:
                counts[bucket_of(frames)] += 1
            frames = []
            continue
        if m := FRAME.match(line):
            frames.append(m.group(1).strip())
    return counts, sum(counts.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", help="perf.data files")
    parser.add_argument("--us", help="CPU µs per request of each file, comma-separated")
    args = parser.parse_args()
    us = [float(x) for x in args.us.split(",")] if args.us else [0.0] * len(args.files)
    if len(us) != len(args.files):
        parser.error("--us needs one value per file")
    results = [count(f) for f in args.files]
    print("| bucket | " + " | ".join(args.files) + " |")
    print("|---|" + "---:|" * len(args.files))
    for name in [*(n for n, _ in BUCKETS), UNMATCHED]:
        cells = []
        for (counts, total), per_req in zip(results, us, strict=True):
            share = counts[name] / total if total else 0.0
            cells.append(f"{share:.1%} {share * per_req:.2f}" if per_req else f"{share:.1%}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
