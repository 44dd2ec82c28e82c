"""Routes for the compression, metrics and access-log e2e tests (tests/py/e2e/test_compression.py,
test_metrics.py, test_accesslog.py)."""

import asyncio
import gzip
import os
from pathlib import Path

from django.conf import settings

from django_bolt import BoltAPI, CompressionConfig
from django_bolt.middleware import no_compress
from django_bolt.responses import FileResponse, PlainText, Response

#: A JSON body well over the 500-byte minimum, compressible.
BIG = {"rows": [{"id": i, "name": f"row {i}", "tags": ["a", "b"]} for i in range(60)]}
BIG_TEXT = "event: x\ndata: " + "y" * 1000 + "\n\n"

api = BoltAPI(prefix="/obs")
off_api = BoltAPI(prefix="/obs-off", compression=False)
gzip_api = BoltAPI(
    prefix="/obs-gzip", compression=CompressionConfig(backend="gzip", gzip_fallback=False, minimum_size=100)
)


@api.get("/big")
async def big():
    return BIG


@api.get("/small")
async def small():
    return {"ok": True}


@api.get("/sse")
async def sse():
    return Response(BIG_TEXT, media_type="text/event-stream")


@api.get("/png")
async def png():
    return Response(b"\x89PNG" + b"\x00" * 2000, media_type="image/png")


@api.get("/encoded")
async def encoded():
    return Response(gzip.compress(BIG_TEXT.encode()), headers={"content-encoding": "gzip"}, media_type="text/plain")


@api.get("/not-compressed")
@no_compress
async def not_compressed():
    return BIG


@api.get("/file")
async def file():
    return FileResponse(settings.FILES_DIR / "big.json", media_type="application/json")


@api.get("/huge")
async def huge(n: int = 8_000_000):
    return PlainText("z" * n)


@api.get("/sleep")
async def sleep(ms: int = 0):
    await asyncio.sleep(ms / 1000)
    return {"slept": ms}


def _mark(marker: Path, state: str) -> None:
    """Write the marker whole (tmp + rename): a test polling it never reads it empty."""
    tmp = marker.with_name(f".{marker.name}.tmp")
    tmp.write_text(state)
    os.replace(tmp, marker)


@api.get("/wait/{name}")
async def wait(name: str):
    """Marks that it started, then waits; marks a cancellation (client disconnect tests)."""
    marker = Path(settings.MARKER_DIR, name)
    _mark(marker, "started")
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        _mark(marker, "cancelled")
        raise
    _mark(marker, "finished")
    return {"waited": name}


@api.post("/status/{code}")
async def status(code: int):
    return Response(b"", status_code=code)


@off_api.get("/big")
async def off_big():
    return BIG


@gzip_api.get("/big")
async def gzip_big():
    return BIG
