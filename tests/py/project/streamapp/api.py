"""Routes for streamed replies, Server-Sent Events, client disconnects and uploads.

Side effects the tests observe go to files in settings.MARKER_DIR: a generator writes
``closed-<tag>`` when it is closed, so a test can tell that the server closed it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from django.conf import settings

from django_bolt import BoltAPI, Request, UploadFile
from django_bolt.param_functions import File, Form
from django_bolt.responses import EventSourceResponse, ServerSentEvent, StreamingResponse

api = BoltAPI()


def _marker(name: str) -> Path:
    return Path(settings.MARKER_DIR, name)


async def _wait_for(name: str) -> None:
    while not _marker(name).exists():
        await asyncio.sleep(0.01)


@api.get("/stream/chunks")
async def many_chunks(n: int = 100) -> StreamingResponse:
    async def gen() -> AsyncIterator[str]:
        for i in range(n):
            yield f"{i}\n"

    return StreamingResponse(gen(), media_type="text/plain; charset=utf-8", headers={"x-kind": "chunks"})


@api.get("/stream/big")
async def big_chunks(n: int = 64, size: int = 65536) -> StreamingResponse:
    """Large chunks: more data than the flow-control window holds."""

    async def gen() -> AsyncIterator[bytes]:
        for i in range(n):
            yield bytes([65 + i % 26]) * size

    return StreamingResponse(gen())


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


@api.get("/stream/sse")
async def events(tag: str) -> EventSourceResponse:
    """Two events, the second only after the client created marker <tag>-go: proves the
    first reached the client while the generator was still running."""

    async def gen() -> AsyncIterator[object]:
        yield {"n": 1}
        await _wait_for(f"{tag}-go")
        yield ServerSentEvent(data="two\nlines", event="update", id=7, retry=1500)
        yield "plain"

    return EventSourceResponse(gen())


@api.get("/stream/sse-quiet")
async def quiet_events() -> EventSourceResponse:
    """A generator that stays quiet: keep-alive pings go out meanwhile."""

    async def gen() -> AsyncIterator[object]:
        await asyncio.sleep(0.5)
        yield {"done": True}

    return EventSourceResponse(gen(), ping_interval=0.05)


@api.get("/stream/forever")
async def forever(tag: str) -> StreamingResponse:
    async def gen() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"tick\n"
                await asyncio.sleep(0.01)
        finally:
            _marker(f"closed-{tag}").write_text("closed")

    return StreamingResponse(gen())


@api.get("/stream/forever-sync")
async def forever_sync(tag: str) -> StreamingResponse:
    def gen() -> Iterator[bytes]:
        try:
            while True:
                yield b"tick\n"
                time.sleep(0.01)
        finally:
            _marker(f"closed-{tag}").write_text("closed")

    return StreamingResponse(gen())


@api.get("/stream/boom")
async def boom() -> StreamingResponse:
    async def gen() -> AsyncIterator[bytes]:
        yield b"first\n"
        yield b"second\n"
        raise RuntimeError("generator failed mid-stream")

    return StreamingResponse(gen())


@api.get("/stream/bad-chunk")
async def bad_chunk() -> StreamingResponse:
    async def gen() -> AsyncIterator[object]:
        yield b"ok\n"
        yield 42  # neither str nor bytes

    return StreamingResponse(gen())


@api.get("/stream/hang", timeout=60)
async def hang(tag: str) -> dict[str, str]:
    """Never answers on its own; writes cancelled-<tag> when its task is cancelled."""
    _marker(f"started-{tag}").write_text("started")
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        _marker(f"cancelled-{tag}").write_text("cancelled")
        raise
    return {}


@api.get("/stream/tasks")
async def tasks() -> dict[str, int]:
    """How many asyncio tasks the worker has besides this request's own (if any)."""
    current = asyncio.current_task()
    return {"tasks": len([t for t in asyncio.all_tasks() if t is not current])}


# ---- uploads (tests/py/e2e/test_multipart.py) ----------------------------------------------


async def _describe(f: UploadFile) -> dict[str, object]:
    data = await f.read()
    return {
        "filename": f.filename,
        "content_type": f.content_type,
        "size": f.size,
        "len": len(data),
        "head": data[:16].decode("latin-1"),
        "sum": sum(data) % 65521,
    }


@api.post("/upload/one")
async def upload_one(title: str = Form(), doc: UploadFile = File()) -> dict[str, object]:
    return {"title": title, "doc": await _describe(doc)}


@api.post("/upload/many")
async def upload_many(docs: list[UploadFile] = File(), note: str = Form("")) -> dict[str, object]:
    return {"note": note, "docs": [await _describe(d) for d in docs]}


@api.post("/upload/limited")
async def upload_limited(
    doc: UploadFile = File(max_size=1000, min_size=2, allowed_types=["text/plain", "image/*"]),
) -> dict[str, object]:
    return {"doc": await _describe(doc)}


@api.post("/upload/capped")
async def upload_capped(docs: list[UploadFile] = File(max_files=2)) -> dict[str, int]:
    return {"count": len(docs)}


@api.post("/upload/raw")
async def upload_raw(data: bytes = File()) -> dict[str, int]:
    return {"len": len(data)}


@api.post("/upload/fields")
async def upload_fields(tags: list[str] = Form(), n: int = Form()) -> dict[str, object]:
    return {"tags": tags, "n": n}


@api.post("/upload/request")
async def upload_request(request: Request) -> dict[str, object]:
    files = request.files
    return {"form": request.form, "files": {k: await _describe(v) for k, v in files.items()}}


@api.post("/upload/spooled")
async def upload_spooled(doc: UploadFile = File()) -> dict[str, object]:
    """Reports whether the upload sat on disk (a real file) while the handler ran."""
    # doc.file is a Django File; its .file is the stream (BytesIO in memory)
    return {"on_disk": not hasattr(doc.file.file, "getvalue"), "doc": await _describe(doc)}


@api.post("/upload/names")
async def upload_names(docs: list[UploadFile] = File()) -> list[list[str | None]]:
    """Each upload's sanitised and raw file names (issue 15)."""
    return [[d.filename, d.raw_filename] for d in docs]
