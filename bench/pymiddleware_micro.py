"""Python-thread cost of one no-op Python middleware (issue 18), without Go or sockets.

Drives the real dispatcher (``Dispatcher.drain`` of ``_runtime/dispatch.py``) with batches
of request records, as Go would send them, through a stand-in for libbolt whose
``bolt_poll`` copies a prepared batch and whose ``bolt_respond`` drops the answers. So
each request pays exactly what the Python thread does in the server: unpack the record,
bind, run the endpoint with ``coro.send(None)``, encode, append the response record.

Two handlers returning a small dict (``/hello``, no arguments, and ``/items/{item_id}``),
each as written, inside ``BoltAPI(middleware=[NoOp])`` (returns what the chain returns: a
pass-through chain) and inside ``[Stamp]`` (sets a response header: the chain makes a
Response for the handler's dict); the middleware routes get the
request headers a browser would send (Go copies them for routes with middleware). Prints
the min over rounds of batches of 40 requests, in microseconds of this thread's CPU time
per request (``time.thread_time``: time spent descheduled on a shared machine does not
count), variants interleaved, and the differences.

    .venv/bin/python bench/pymiddleware_micro.py [--rounds 15] [--batches 250]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

if not settings.configured:
    settings.configure(SECRET_KEY="micro-" + "x" * 40, INSTALLED_APPS=["django_bolt"], USE_TZ=True)
django.setup()

from django_bolt import BoltAPI, Request  # noqa: E402
from django_bolt._native.library import ffi  # noqa: E402
from django_bolt._native.wire import KIND_REQUEST, METHOD_CODES, REQ_HEADER  # noqa: E402
from django_bolt._runtime.dispatch import Dispatcher  # noqa: E402
from django_bolt._server.discovery import collect_routes  # noqa: E402
from django_bolt.middleware import Middleware  # noqa: E402
from django_bolt.responses import Response  # noqa: E402

BATCH = 40
HEADERS = b"\0".join(
    [
        b"host", b"127.0.0.1:8000", b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
        b"accept", b"application/json", b"accept-encoding", b"gzip, deflate, br",
        b"x-request-id", b"8f14e45fceea167a5a36dedd4bea2543",
    ]
)  # fmt: skip


class NoOp(Middleware):
    async def process_request(self, request: Request) -> Response:
        return await self.get_response(request)


class Stamp(Middleware):
    """Reads the response (sets a header): the chain makes a Response for the handler's dict."""

    async def process_request(self, request: Request) -> Response:
        response = await self.get_response(request)
        response.headers["X-Stamp"] = "1"
        return response


def build(middleware: type[Middleware] | None) -> list[Any]:
    api = BoltAPI(middleware=[middleware] if middleware else None)

    @api.get("/hello")
    async def hello() -> dict[str, Any]:
        return {"message": "Hello, World!"}

    @api.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, Any]:
        return {"item_id": item_id, "ok": True}

    return collect_routes([api])


class FakeLib:
    """libbolt's two hot-path calls: hands out ``batch``, drops the answers."""

    def __init__(self) -> None:
        self.batch = b""
        self.answered = 0

    def bolt_poll(self, handle: int, buf: Any, capacity: int) -> int:
        ffi.memmove(buf, self.batch, len(self.batch))
        return len(self.batch)

    def bolt_respond(self, handle: int, buf: Any, n: int) -> int:
        self.answered += n
        return 0


def batch(route_id: int, route: Any, path: bytes, params: bytes) -> bytes:
    headers = HEADERS if route.flags & 1 else b""
    out = bytearray()
    for rid in range(1, BATCH + 1):
        lens = (len(path), len(params), 0, len(headers), 0, 0)
        out += REQ_HEADER.pack(
            rid, KIND_REQUEST, METHOD_CODES["GET"], route_id, route.flags, 0, *lens
        )
        out += path + params + headers
    return bytes(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batches", type=int, default=250)
    args = parser.parse_args()
    loop = asyncio.new_event_loop()
    cases: dict[str, tuple[Dispatcher, FakeLib]] = {}
    for label, mw in (("none", None), ("one no-op", NoOp), ("one stamp", Stamp)):
        routes = build(mw)
        for path, params in ((b"/hello", b""), (b"/items/42", b"42")):
            pattern = "/hello" if params == b"" else "/items/{item_id}"
            i = next(n for n, r in enumerate(routes) if r.path == pattern)
            lib = FakeLib()
            lib.batch = batch(i, routes[i], path, params)
            cases[f"{path.decode():10} {label:9}"] = (
                Dispatcher(lib, 0, routes, loop, debug=False),
                lib,
            )
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(args.rounds):
        for name, (dispatcher, lib) in cases.items():  # interleaved: one round of each in turn
            t0 = time.thread_time()
            for _ in range(args.batches):
                dispatcher.drain()
            best[name] = min(best[name], (time.thread_time() - t0) / (args.batches * BATCH) * 1e6)
            assert not dispatcher.tasks and lib.answered
    for name, us in best.items():
        print(f"{name} {us:.3f} us/request")
    names = list(best)
    for i, path in enumerate(("/hello   ", "/items/42")):
        print(f"{path}  no-op adds {best[names[2 + i]] - best[names[i]]:.3f} us/request")
        print(f"{path}  stamp adds {best[names[4 + i]] - best[names[i]]:.3f} us/request")


if __name__ == "__main__":
    main()
