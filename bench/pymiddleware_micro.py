"""Python-thread cost of one no-op Python middleware (issue 18), without Go or sockets.

For a route returning a small dict, times what the dispatcher does per request: bind the
record, run the endpoint with ``coro.send(None)``, encode the result; once for the route
as written and once with ``BoltAPI(middleware=[NoOp])``. Prints the min of 7 rounds of
20,000 requests each, in microseconds per request, and the difference.

    .venv/bin/python bench/pymiddleware_micro.py
"""

from __future__ import annotations

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
from django_bolt._runtime.encoding import encode_result  # noqa: E402
from django_bolt._runtime.jsonenc import json_encode  # noqa: E402
from django_bolt._server.discovery import collect_routes  # noqa: E402
from django_bolt.middleware import Middleware  # noqa: E402
from django_bolt.responses import Response  # noqa: E402

N, ROUNDS = 20_000, 7


class NoOp(Middleware):
    async def process_request(self, request: Request) -> Response:
        return await self.get_response(request)


def build(with_middleware: bool) -> Any:
    api = BoltAPI(middleware=[NoOp] if with_middleware else None)

    @api.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, Any]:
        return {"item_id": item_id, "ok": True}

    return collect_routes([api])[0]


def run(route: Any) -> float:
    raw = (0, b"/items/42", b"42", b"", b"host\x00x", b"", b"")
    binder, endpoint, status = route.binder, route.endpoint, route.status_code
    best = float("inf")
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        for _ in range(N):
            coro = endpoint(**binder(*raw))
            try:
                coro.send(None)
            except StopIteration as done:
                result = done.value
            # as the dispatcher: plain dicts straight to JSON, anything else through encode_result
            if type(result) is dict:
                json_encode(result)
            else:
                encode_result(result, status)
        best = min(best, (time.perf_counter() - t0) / N * 1e6)
    return best


if __name__ == "__main__":
    plain, wrapped = build(False), build(True)
    a, b = run(plain), run(wrapped)
    a2, b2 = run(plain), run(wrapped)  # interleaved a second time
    a, b = min(a, a2), min(b, b2)
    print(f"no middleware     {a:.2f} us/request")
    print(f"one no-op (NoOp)  {b:.2f} us/request")
    print(f"difference        {b - a:.2f} us/request")
