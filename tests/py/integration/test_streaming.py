"""Streamed handlers whose reply is judged whole (content, headers, HEAD, validation), through
the in-process TestClient. The app is defined here; tests/py/e2e/test_streaming.py keeps what
is about the wire: chunked framing, incremental delivery, slow readers, disconnects, truncation
of a failed stream and SIGTERM with an open stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from django_bolt import BoltAPI
from django_bolt.responses import EventSourceResponse, StreamingResponse
from django_bolt.testing import TestClient

api = BoltAPI()


@api.get("/stream/chunks")
async def many_chunks(n: int = 100) -> StreamingResponse:
    async def gen() -> AsyncIterator[str]:
        for i in range(n):
            yield f"{i}\n"

    return StreamingResponse(gen(), media_type="text/plain; charset=utf-8", headers={"x-kind": "chunks"})


@api.get("/stream/gen", response_class=EventSourceResponse)
async def generator_handler(n: int = 3) -> AsyncIterator[dict[str, int]]:
    """django-bolt's form: the handler itself is the generator."""
    for i in range(n):
        yield {"i": i}


@api.get("/stream/sync")
async def sync_chunks(n: int = 5) -> StreamingResponse:
    def gen() -> Iterator[bytes]:
        for i in range(n):
            time.sleep(0.001)  # blocking, as sync code may be: runs in a thread
            yield b"line %d\n" % i

    return StreamingResponse(gen())


@api.get("/stream/sse-quiet")
async def quiet_events() -> EventSourceResponse:
    """A generator that stays quiet: keep-alive pings go out meanwhile."""

    async def gen() -> AsyncIterator[object]:
        await asyncio.sleep(0.5)
        yield {"done": True}

    return EventSourceResponse(gen(), ping_interval=0.05)


@api.get("/stream/cookied")
async def cookied() -> StreamingResponse:
    """docs/streaming-and-uploads.md: status, headers and cookies work as on Response."""
    r = StreamingResponse(["a", b"b"], status_code=201, headers={"x-kind": "list"})
    return r.set_cookie("seen", "1").delete_cookie("old")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(api) as c:
        yield c


def test_sync_generator(client: TestClient) -> None:
    r = client.get("/stream/sync?n=5")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.text == "".join(f"line {i}\n" for i in range(5))


def test_generator_handler_with_response_class(client: TestClient) -> None:
    r = client.get("/stream/gen?n=2")
    assert r.headers["content-type"] == "text/event-stream"
    assert r.text == 'data: {"i":0}\n\ndata: {"i":1}\n\n'
    assert client.get("/stream/gen?n=x").status_code == 422  # parameters still validated


def test_sse_keep_alive_pings(client: TestClient) -> None:
    r = client.get("/stream/sse-quiet")
    assert r.text.startswith(": ping\n\n")
    assert r.text.endswith('data: {"done":true}\n\n')


def test_head_on_a_streaming_route(client: TestClient) -> None:
    r = client.head("/stream/chunks?n=3")
    assert r.status_code == 200
    assert r.content == b""
    assert client.get("/stream/chunks?n=1").text == "0\n"


def test_status_headers_and_cookies_of_a_stream(client: TestClient) -> None:
    r = client.get("/stream/cookied")
    assert (r.status_code, r.text, r.headers["x-kind"]) == (201, "ab", "list")
    cookies = r.headers.get_list("set-cookie")
    assert any(c.startswith("seen=1") for c in cookies) and any(c.startswith("old=") for c in cookies)
