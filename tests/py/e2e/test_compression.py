"""Response compression by Go, through a real runbolt (docs/compression.md)."""

from __future__ import annotations

import gzip
import json

import brotli
import httpx
import zstandard

from ..conftest import BoltProcess

BIG_ROWS = 60


def test_negotiated_codings_round_trip(bolt: BoltProcess) -> None:
    for accept, coding in [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip", "gzip"),
        ("zstd;q=1, gzip;q=0.5", "zstd"),
        ("br;q=0.2, gzip;q=0.8", "gzip"),
        ("*", "br"),
    ]:
        with httpx.Client(base_url=bolt.url, timeout=10) as c:
            r = c.get("/obs/big", headers={"Accept-Encoding": accept})
        assert r.status_code == 200
        assert r.headers["content-encoding"] == coding, accept
        assert r.headers["vary"] == "Accept-Encoding"
        assert int(r.headers["content-length"]) < len(r.content)  # smaller on the wire
        assert len(r.json()["rows"]) == BIG_ROWS  # and httpx decoded it


def test_wire_bytes_decode_with_independent_decoders(bolt: BoltProcess) -> None:
    decoders = {"br": brotli.decompress, "gzip": gzip.decompress, "zstd": zstandard.ZstdDecompressor().decompress}
    for coding, decode in decoders.items():
        with (
            httpx.Client(base_url=bolt.url, timeout=10) as c,
            c.stream("GET", "/obs/big", headers={"Accept-Encoding": coding}) as r,
        ):
            raw = b"".join(r.iter_raw())
        assert r.headers["content-encoding"] == coding
        assert len(raw) == int(r.headers["content-length"])
        assert len(json.loads(decode(raw))["rows"]) == BIG_ROWS


def test_refused_or_missing_codings_get_identity(bolt: BoltProcess) -> None:
    for accept in ("identity", "br;q=0, gzip;q=0, zstd;q=0", "deflate", "gzip;q=nonsense"):
        with httpx.Client(base_url=bolt.url, timeout=10) as c:
            r = c.get("/obs/big", headers={"Accept-Encoding": accept})
        assert "content-encoding" not in r.headers, accept
        assert r.headers["vary"] == "Accept-Encoding"  # the answer still depends on the header
        assert len(r.json()["rows"]) == BIG_ROWS


def test_what_is_never_compressed(bolt: BoltProcess) -> None:
    with httpx.Client(base_url=bolt.url, timeout=10, headers={"Accept-Encoding": "br, gzip"}) as c:
        small = c.get("/obs/small")
        assert "content-encoding" not in small.headers and "vary" not in small.headers
        sse = c.get("/obs/sse")
        assert sse.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in sse.headers
        png = c.get("/obs/png")
        assert "content-encoding" not in png.headers and len(png.content) > 2000
        opted_out = c.get("/obs/not-compressed")
        assert "content-encoding" not in opted_out.headers and len(opted_out.json()["rows"]) == BIG_ROWS
        file = c.get("/obs/file")
        assert file.status_code == 200 and "content-encoding" not in file.headers
        assert len(file.json()["rows"]) == BIG_ROWS
        off = c.get("/obs-off/big")  # BoltAPI(compression=False)
        assert "content-encoding" not in off.headers
        head = c.head("/obs/big")
        assert head.status_code == 200 and "content-encoding" not in head.headers


def test_already_encoded_response_is_left_alone(bolt: BoltProcess) -> None:
    with (
        httpx.Client(base_url=bolt.url, timeout=10) as c,
        c.stream("GET", "/obs/encoded", headers={"Accept-Encoding": "br"}) as r,
    ):
        raw = b"".join(r.iter_raw())
    assert r.headers["content-encoding"] == "gzip"  # the handler's own coding, not br on top
    assert gzip.decompress(raw).startswith(b"event: x")


def test_api_config_backend_without_fallback(bolt: BoltProcess) -> None:
    with httpx.Client(base_url=bolt.url, timeout=10) as c:
        r = c.get("/obs-gzip/big", headers={"Accept-Encoding": "br, zstd, gzip"})
        assert r.headers["content-encoding"] == "gzip"
        r = c.get("/obs-gzip/big", headers={"Accept-Encoding": "br, zstd"})
        assert "content-encoding" not in r.headers


def test_keep_alive_survives_compressed_replies(bolt: BoltProcess) -> None:
    """The compressed length frames each reply: many on one connection, all intact."""
    with httpx.Client(base_url=bolt.url, timeout=10, headers={"Accept-Encoding": "gzip, br, zstd"}) as c:
        for _ in range(20):
            assert len(c.get("/obs/big").json()["rows"]) == BIG_ROWS
            assert c.get("/obs/small").json() == {"ok": True}
