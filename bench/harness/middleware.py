"""`--section middleware`: what each Go middleware costs, one server start per variant."""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import re
import shlex
import statistics
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from harness.load import (
    SERVER_CPU,
    Result,
    fill_port,
    free_port,
    measure,
    pinned,
    placement,
    start_server,
    stop_server,
    write_wrk_script,
    wrk_argv,
)
from harness.prepare import ensure_wrk
from harness.report import BUSY_WARN_PCT, machine, versions, write_results
from harness.shell import log, run
from harness.targets import BENCH, HOST, REPO, TARGETS, Target, new_run_dir, ours, py
from harness.workloads import BIG, Workload

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
# A limit every request passes (issue 21: its cost, not its refusals): on every route, keyed
# by the client address, in this process or in Redis (BENCH_REDIS_URL, e.g. the throwaway
# server of tests/redis/start.sh).
MW_LIMIT = {"RATE_LIMIT": {"rps": 10_000_000, "burst": 10_000_000}}
MW_REDIS = os.environ.get("BENCH_REDIS_URL", "")
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
            "ratelimit",
            "bare + RATE_LIMIT on every route, buckets in the process",
            {**MW_BARE, **MW_LIMIT},
            ("hello",),
        ),
        Variant(
            "gzip",
            "bare settings; /bench/big without and with Accept-Encoding: gzip",
            MW_BARE,
            ("identity", "gzip"),
        ),
    )
}
if MW_REDIS:  # only with a Redis to talk to: without one it would measure the failure path
    MW_VARIANTS["ratelimit-redis"] = Variant(
        "ratelimit-redis",
        "bare + RATE_LIMIT on every route, buckets in Redis (STATE, loopback)",
        {**MW_BARE, **MW_LIMIT, "STATE": MW_REDIS},
        ("hello",),
    )
# (variant, request) -> (reference variant, reference request, what, issue 4's minimum ratio)
MW_COMPARE: dict[tuple[str, str], tuple[str, str, str, float | None]] = {
    ("metrics", "hello"): ("bare", "hello", "bare", None),
    ("accesslog", "hello"): ("bare", "hello", "bare", None),
    ("cors", "origin"): ("bare", "hello", "bare", None),
    ("all", "origin"): ("bare", "hello", "bare", 0.90),  # <= 10% cost
    ("jwt", "jwt"): ("jwt", "hello", "hello, same server", 0.85),
    ("gzip", "gzip"): ("gzip", "identity", "identity, same server", 0.70),
    ("ratelimit", "hello"): ("bare", "hello", "bare", None),
    ("ratelimit-redis", "hello"): ("ratelimit", "hello", "local limit", None),
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
    out_dir = new_run_dir(started.strftime("%Y%m%d-%H%M%S"))
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
    short_versions, full_versions = versions(["ours"])
    argv0 = shlex.join([*pinned(SERVER_CPU), *fill_port(target.argv, "PORT")])
    report = "\n\n".join(
        [
            f"### {started:%Y-%m-%d %H:%M %Z}",
            f"Machine: {machine()}. {placement()}; {args.duration}s per request,"
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
