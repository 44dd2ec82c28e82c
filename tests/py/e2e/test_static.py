"""STATIC_URL served by Go from STATIC_ROOT (and the finders' directories with --dev)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..conftest import TEST_PROJECT, BoltProcess

CSS = b"body { color: #123456; }\n" * 4


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("static")
    root = tmp / "static_root"
    (root / "css").mkdir(parents=True)
    (root / "css" / "site.css").write_bytes(CSS)
    (root / "app.js").write_text("console.log(1);\n")
    (root / "data.unknownext").write_bytes(b"\x00\x01")
    (tmp / "secret.txt").write_text("top secret")
    os.symlink(tmp / "secret.txt", root / "escape.txt")
    p = BoltProcess(TEST_PROJECT, tmp / "runbolt.log", env={"TEST_STATIC_ROOT": str(root)})
    p.wait_ready()
    yield p.url, root
    p.stop()


def test_file_with_content_type_and_validators(served: tuple[str, Path]) -> None:
    url, _ = served
    r = httpx.get(f"{url}/static/css/site.css")
    assert r.status_code == 200 and r.content == CSS
    assert r.headers["content-type"].startswith("text/css")
    assert r.headers["etag"] and r.headers["last-modified"] and r.headers["accept-ranges"] == "bytes"
    assert httpx.get(f"{url}/static/app.js").headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{url}/static/data.unknownext").headers["content-type"] == "application/octet-stream"


def test_conditional_requests_get_304(served: tuple[str, Path]) -> None:
    url, _ = served
    first = httpx.get(f"{url}/static/css/site.css")
    r = httpx.get(f"{url}/static/css/site.css", headers={"If-None-Match": first.headers["etag"]})
    assert r.status_code == 304 and r.content == b""
    r = httpx.get(f"{url}/static/css/site.css", headers={"If-Modified-Since": first.headers["last-modified"]})
    assert r.status_code == 304
    r = httpx.get(f"{url}/static/css/site.css", headers={"If-None-Match": '"other"'})
    assert r.status_code == 200


def test_ranges(served: tuple[str, Path]) -> None:
    url, _ = served
    r = httpx.get(f"{url}/static/css/site.css", headers={"Range": "bytes=5-9"})
    assert r.status_code == 206 and r.content == CSS[5:10]
    assert r.headers["content-range"] == f"bytes 5-9/{len(CSS)}"
    r = httpx.get(f"{url}/static/css/site.css", headers={"Range": "bytes=-4"})
    assert r.status_code == 206 and r.content == CSS[-4:]
    r = httpx.get(f"{url}/static/css/site.css", headers={"Range": f"bytes={len(CSS)}-"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{len(CSS)}"
    assert r.json() == {"detail": "Range Not Satisfiable"}


def _raw_get(url: str, target: str) -> bytes:
    """Send the request target byte for byte (clients normalise '..' away)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "target",
    [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/css/%2E%2E/%2e%2e/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/css%5c..%5c..%5csecret.txt",
        "/static/escape.txt",  # a symlink out of the root
        "/static//etc/passwd",
        "/static/css/site.css%00.png",
    ],
)
def test_path_traversal_refused(served: tuple[str, Path], target: str) -> None:
    url, _ = served
    reply = _raw_get(url, target)
    status = int(reply.split(b" ", 2)[1])
    assert status in (400, 404), reply[:200]
    assert b"top secret" not in reply and b"root:" not in reply


def test_only_get_and_head(served: tuple[str, Path]) -> None:
    url, _ = served
    assert httpx.head(f"{url}/static/css/site.css").headers["content-length"] == str(len(CSS))
    r = httpx.post(f"{url}/static/css/site.css")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"


def test_dev_serves_app_static_dirs(start_bolt: object) -> None:
    p = start_bolt(TEST_PROJECT, "--dev")  # type: ignore[operator]
    r = httpx.get(f"{p.url}/static/admin/css/base.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert httpx.get(f"{p.url}/static/admin/css/nope.css").status_code == 404


def test_without_static_root_nothing_is_served(client: httpx.Client) -> None:
    r = client.get("/static/admin/css/base.css")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}


def test_missing_static_root_is_logged_and_skipped(tmp_path: Path) -> None:
    missing = tmp_path / "not-collected"
    p = BoltProcess(TEST_PROJECT, tmp_path / "runbolt.log", env={"TEST_STATIC_ROOT": str(missing)})
    p.wait_ready()
    try:
        r = httpx.get(f"{p.url}/static/css/site.css")
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
        assert f"STATIC_ROOT {missing} does not exist" in p.log()
    finally:
        p.stop()
