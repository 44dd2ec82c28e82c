"""SSE framing, chunk encoding and generator closing, without the native library."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import msgspec
import pytest

from django_bolt._native.wire import KIND_CHUNK, KIND_STREAM_END
from django_bolt._runtime.streaming import PING, Streamer, chunks, sse_frame
from django_bolt.responses import EventSourceResponse, ServerSentEvent, StreamingResponse


class Point(msgspec.Struct):
    x: int


def test_sse_frames() -> None:
    assert sse_frame({"a": 1}) == b'data: {"a":1}\n\n'
    assert sse_frame(Point(3)) == b'data: {"x":3}\n\n'
    assert sse_frame("one\r\ntwo\nthree") == b"data: one\ndata: two\ndata: three\n\n"
    ev = ServerSentEvent(data="d", event="e", id=5, retry=100, comment="c1\nc2")
    assert sse_frame(ev) == b": c1\n: c2\nevent: e\nid: 5\nretry: 100\ndata: d\n\n"
    assert sse_frame(ServerSentEvent(comment="keep")) == b": keep\n\n"


@pytest.mark.parametrize("ev", [ServerSentEvent(data="x", event="a\nb"), ServerSentEvent(data="x", id="1\r")])
def test_sse_refuses_line_breaks_in_single_line_fields(ev: ServerSentEvent) -> None:
    with pytest.raises(ValueError, match="cannot contain CR, LF or NUL"):
        sse_frame(ev)


def test_empty_event_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty ServerSentEvent"):
        sse_frame(ServerSentEvent())


def _collect(response: StreamingResponse) -> list[bytes]:
    async def main() -> list[bytes]:
        return [c async for c in chunks(response)]

    return asyncio.run(main())


def test_chunks_from_every_kind_of_content() -> None:
    async def agen() -> AsyncIterator[str]:
        yield "a"
        yield "b"

    def gen() -> Iterator[bytes]:
        yield b"c"
        yield bytearray(b"d")

    assert _collect(StreamingResponse(agen())) == [b"a", b"b"]
    assert _collect(StreamingResponse(gen())) == [b"c", b"d"]
    assert _collect(StreamingResponse(["e", b"f"])) == [b"e", b"f"]
    assert _collect(StreamingResponse("whole")) == [b"whole"]


def test_bad_chunk_type_raises() -> None:
    with pytest.raises(TypeError, match="must yield str or bytes, not int"):
        _collect(StreamingResponse([1]))


def test_chunks_frame_events_and_leave_pings_to_the_streamer() -> None:
    """chunks() is the body alone: the keep-alive pings come from Streamer's timer (covered
    through a server in tests/py/e2e/test_streaming.py), never from the generator's side."""
    closed: list[bool] = []

    async def agen() -> AsyncIterator[object]:
        try:
            await asyncio.sleep(0.1)
            yield {"late": True}
        finally:
            closed.append(True)

    out = _collect(EventSourceResponse(agen(), ping_interval=0.02))
    assert out == [b'data: {"late":true}\n\n']
    assert PING not in out
    assert closed == [True]


def test_closing_the_stream_closes_the_generator() -> None:
    closed: list[str] = []

    async def agen() -> AsyncIterator[str]:
        try:
            while True:
                yield "x"
        finally:
            closed.append("async")

    def gen() -> Iterator[str]:
        try:
            while True:
                yield "y"
        finally:
            closed.append("sync")

    async def main() -> None:
        for response in (StreamingResponse(agen()), EventSourceResponse(gen(), ping_interval=1)):
            body = chunks(response)
            await anext(body)
            await body.aclose()

    asyncio.run(main())
    assert closed == ["async", "sync"]


def test_event_source_headers_and_ping_validation() -> None:
    r = EventSourceResponse([], headers={"x-a": "1"})
    assert r.media_type == "text/event-stream"
    assert r.headers == {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "x-a": "1"}
    with pytest.raises(ValueError, match="ping_interval"):
        EventSourceResponse([], ping_interval=0)


class _RecordingDispatcher:
    """What Streamer.run calls on the Dispatcher, recorded in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.streams: dict[int, object] = {}
        self.calls: list[str] = []

    def append_record(self, rid: int, kind: int, ctype: int, status: int, headers: bytes, body: bytes) -> None:
        self.calls.append(f"record {kind} {body!r}")

    def flush(self) -> None:
        self.calls.append("flush")

    def schedule_flush(self) -> None:
        self.calls.append("schedule_flush")


def test_sse_events_are_flushed_one_by_one_other_streams_per_batch() -> None:
    """An EventSourceResponse's event is handed to Go at once (one flush per event); a plain
    StreamingResponse's chunks wait for the end of the loop's iteration (schedule_flush)."""

    async def run(response: StreamingResponse) -> list[str]:
        d = _RecordingDispatcher(asyncio.get_running_loop())
        await Streamer(d, 1, response, "test").run()  # type: ignore[arg-type]
        return d.calls

    sse = asyncio.run(run(EventSourceResponse(iter(["a", "b"]), ping_interval=None)))
    assert sse == [
        f"record {KIND_CHUNK} b'data: a\\n\\n'",
        "flush",
        f"record {KIND_CHUNK} b'data: b\\n\\n'",
        "flush",
        f"record {KIND_STREAM_END} b''",
        "schedule_flush",
    ]
    plain = asyncio.run(run(StreamingResponse(["a", "b"])))
    assert plain == [
        f"record {KIND_CHUNK} b'a'",
        "schedule_flush",
        f"record {KIND_CHUNK} b'b'",
        "schedule_flush",
        f"record {KIND_STREAM_END} b''",
        "schedule_flush",
    ]
