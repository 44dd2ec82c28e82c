"""The Python floor of one request (issue 20): what the loop thread must spend at least.

Runs in one process, no sockets, no Go: each piece of the per-request Python work in a
tight loop, then ``Dispatcher.drain`` itself on batches of real request records with a
stand-in library whose ``bolt_poll`` copies a prebuilt batch and whose ``bolt_respond``
does nothing. Prints µs of this thread's CPU time per request (minimum of several repeats:
the least-disturbed run on a shared machine).
Usage: ``.venv/bin/python bench/floor.py [--batch 40]``.

What it does not count: the two C calls' Go side, the epoll wake-up of the loop, and
everything Go does per request (parse, route, record, park and wake, write): those are in
the server profiles of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import timeit
from pathlib import Path
from typing import Any

import django
from django.conf import settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_BOLT_NO_ADMIN", "1")
settings.configure(
    DEBUG=False, INSTALLED_APPS=["django_bolt"], DATABASES={}, USE_TZ=True, SECRET_KEY="floor"
)
django.setup()

import msgspec  # noqa: E402
from django_bolt import BoltAPI  # noqa: E402
from django_bolt._native.library import ffi  # noqa: E402
from django_bolt._native.wire import KIND_REQUEST, REQ_HEADER  # noqa: E402
from django_bolt._runtime.dispatch import Dispatcher  # noqa: E402
from django_bolt._server.discovery import collect_routes  # noqa: E402

from harness.workloads import BIG  # noqa: E402 - the list every benchmarked app returns

api = BoltAPI()


@api.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@api.get("/items/{item_id}")
async def get_item(item_id: int, q: str | None = None) -> dict[str, Any]:
    return {"item_id": item_id, "q": q}


@api.get("/bench/big")
async def big() -> list:  # type: ignore[type-arg]
    return BIG


class FakeLib:
    """bolt_poll hands out one prebuilt batch per call; bolt_respond drops the replies."""

    def __init__(self, batch: bytes) -> None:
        self.batch = batch
        self.replies = 0

    def bolt_poll(self, handle: int, buf: Any, cap: int) -> int:
        ffi.memmove(buf, self.batch, len(self.batch))
        return len(self.batch)

    def bolt_respond(self, handle: int, buf: Any, n: int) -> int:
        self.replies += 1
        return 0


def record(rid: int, route_id: int, path: bytes, params: bytes = b"", query: bytes = b"") -> bytes:
    lengths = (len(path), len(params), len(query), 0, 0, 0)
    head = REQ_HEADER.pack(rid, KIND_REQUEST, 1, route_id, 0, 0, *lengths)
    return head + path + params + query


def per_call(stmt: Any, number: int, repeat: int) -> float:
    # CPU time of this thread, not wall time: on a shared machine the wall clock also counts
    # the time other processes had the CPU.
    times = timeit.repeat(stmt, number=number, repeat=repeat, timer=time.thread_time)
    return min(times) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--batch", type=int, default=40, help="records per bolt_poll (33-49 measured under load)"
    )
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    routes = collect_routes([api], None)
    ids = {r.path: i for i, r in enumerate(routes)}
    loop = asyncio.new_event_loop()
    enc = msgspec.json.Encoder().encode

    def bare_handler() -> None:
        # As drain does it (contextlib.suppress would add its own cost to the number).
        try:  # noqa: SIM105
            hello().send(None)
        except StopIteration:
            pass

    def hello_encode() -> bytes:
        return enc({"message": "Hello, World!"})

    rows: list[tuple[str, float]] = [
        (
            "async handler call, send(None) -> StopIteration",
            per_call(bare_handler, 100_000, args.repeat),
        ),
        ("msgspec encode {'message': ...}", per_call(hello_encode, 200_000, args.repeat)),
        ("msgspec encode /bench/big list (10 KB)", per_call(lambda: enc(BIG), 2_000, args.repeat)),
    ]
    cases = {
        "/hello": lambda i: record(i, ids["/hello"], b"/hello"),
        "/items/42?q=abc": lambda i: record(
            i, ids["/items/{item_id}"], b"/items/42", b"42", b"q\0abc"
        ),
        "/bench/big": lambda i: record(i, ids["/bench/big"], b"/bench/big"),
    }
    for name, make in cases.items():
        batch = b"".join(make(i + 1) for i in range(args.batch))
        lib = FakeLib(batch)
        d = Dispatcher(lib, 1, routes, loop, False)
        n = 300 if name != "/bench/big" else 30
        us = per_call(d.drain, n, args.repeat) / args.batch
        rows.append((f"Dispatcher.drain {name}, batch {args.batch}", us))
    loop.close()
    width = max(len(r[0]) for r in rows)
    print(f"{'Python per-request work (min of ' + str(args.repeat) + ')':<{width}}  µs/req")
    for name, us in rows:
        print(f"{name:<{width}}  {us:6.3f}")


if __name__ == "__main__":
    main()
