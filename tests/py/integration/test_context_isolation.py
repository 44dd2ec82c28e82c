"""Each request runs in its own copy of the loop's context: a context variable that one
handler sets (as asgiref and Django do) is not seen by the next request, whether the
handler finished without awaiting (no Task) or awaited (in a Task)."""

from __future__ import annotations

import asyncio
import contextvars

from django_bolt import BoltAPI
from django_bolt.testing import TestClient

marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="unset")


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/set-sync")
    async def set_without_await() -> dict[str, str]:
        marker.set("leaked")
        return {"seen": marker.get()}

    @api.get("/set-async")
    async def set_then_await() -> dict[str, str]:
        token = marker.set("leaked")
        await asyncio.sleep(0)
        seen = marker.get()
        marker.reset(token)  # fails ("different Context") if the first step ran elsewhere
        return {"seen": seen}

    @api.get("/read")
    async def read() -> dict[str, str]:
        return {"seen": marker.get()}

    return api


def test_context_variables_do_not_leak_between_requests() -> None:
    with TestClient(make_api()) as client:
        assert client.get("/read").json() == {"seen": "unset"}
        assert client.get("/set-sync").json() == {"seen": "leaked"}
        assert client.get("/read").json() == {"seen": "unset"}
        assert client.get("/set-async").json() == {"seen": "leaked"}
        assert client.get("/read").json() == {"seen": "unset"}
