"""TestClient with streamed replies, SSE and multipart uploads (the in-memory transport
buffers a streamed body and hands it over whole)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

from django_bolt import BoltAPI, UploadFile
from django_bolt.param_functions import File, Form
from django_bolt.responses import EventSourceResponse, ServerSentEvent, StreamingResponse
from django_bolt.testing import AsyncTestClient, TestClient


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/count")
    async def count(n: int) -> StreamingResponse:
        async def gen() -> AsyncIterator[str]:
            for i in range(n):
                await asyncio.sleep(0)
                yield f"{i},"

        return StreamingResponse(gen(), media_type="text/csv")

    @api.get("/sync")
    async def sync() -> StreamingResponse:
        def gen() -> Iterator[bytes]:
            yield b"a"
            yield b"b"

        return StreamingResponse(gen())

    @api.get("/events")
    async def events() -> EventSourceResponse:
        async def gen() -> AsyncIterator[object]:
            yield {"x": 1}
            yield ServerSentEvent(comment="note", event="end", data="bye")

        return EventSourceResponse(gen(), ping_interval=None)

    @api.post("/upload")
    async def upload(f: UploadFile = File(), label: str = Form()) -> dict[str, object]:
        return {"label": label, "name": f.filename, "data": (await f.read()).decode()}

    return api


def test_streams_through_the_test_client() -> None:
    with TestClient(make_api()) as client:
        r = client.get("/count", params={"n": 300})
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/csv"
        assert r.text == "".join(f"{i}," for i in range(300))
        assert client.get("/sync").content == b"ab"
        sse = client.get("/events")
        assert sse.text == 'data: {"x":1}\n\n: note\nevent: end\ndata: bye\n\n'


def test_upload_through_the_test_client() -> None:
    with TestClient(make_api()) as client:
        r = client.post("/upload", data={"label": "L"}, files={"f": ("n.txt", b"content", "text/plain")})
        assert r.json() == {"label": "L", "name": "n.txt", "data": "content"}


def test_async_test_client_streams() -> None:
    async def main() -> None:
        async with AsyncTestClient(make_api()) as client:
            r = await client.get("/count", params={"n": 5})
            assert r.text == "0,1,2,3,4,"

    asyncio.run(main())
