"""MEDIA_URL served by Go from MEDIA_ROOT (issue 18: django-bolt 0.8.1's media serving and
BOLT_MEDIA_MAX_AGE / DJANGO_BOLT["MEDIA_MAX_AGE"]), on a real runbolt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..conftest import TEST_PROJECT, BoltProcess

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("media")
    root = tmp / "media_root"
    (root / "avatars").mkdir(parents=True)
    (root / "avatars" / "a.png").write_bytes(PNG)
    (root / "page.html").write_text("<script>alert(1)</script>")
    (root / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    (root / "notes.txt").write_text("hello")
    static_root = tmp / "static_root"
    static_root.mkdir()
    (static_root / "site.css").write_text("body{}")
    env = {
        "TEST_MARKER_DIR": str(tmp),
        "TEST_MEDIA_ROOT": str(root),
        "TEST_STATIC_ROOT": str(static_root),
        "TEST_BOLT_SETTINGS": json.dumps({"MEDIA_MAX_AGE": 600, "STATIC_MAX_AGE": 3600}),
    }
    p = BoltProcess(TEST_PROJECT, tmp / "runbolt.log", env=env)
    p.wait_ready()
    yield p.url, root
    p.stop()


def test_uploads_are_served_with_private_cache_and_nosniff(media: tuple[str, Path]) -> None:
    url, _ = media
    r = httpx.get(f"{url}/media/avatars/a.png")
    assert r.status_code == 200 and r.content == PNG
    assert r.headers["content-type"] == "image/png"
    assert r.headers["cache-control"] == "private, max-age=600"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "content-disposition" not in r.headers
    assert httpx.get(f"{url}/media/notes.txt").headers["content-type"].startswith("text/plain")
    first = httpx.get(f"{url}/media/avatars/a.png")
    assert httpx.get(f"{url}/media/avatars/a.png", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    # static files keep their own, public, max-age
    s = httpx.get(f"{url}/static/site.css")
    assert s.status_code == 200 and s.headers["cache-control"] == "public, max-age=3600"


@pytest.mark.parametrize("name", ["page.html", "logo.svg"])
def test_scriptable_uploads_are_downloads(media: tuple[str, Path], name: str) -> None:
    url, root = media
    r = httpx.get(f"{url}/media/{name}")
    assert r.status_code == 200 and r.content == (root / name).read_bytes()
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"] == "attachment"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_missing_and_escaping_paths_are_404(media: tuple[str, Path]) -> None:
    url, _ = media
    for path in ("/media/nope.png", "/media/%2e%2e/runbolt.log"):
        r = httpx.get(f"{url}{path}")
        assert r.status_code == 404, path
        assert r.json() == {"detail": "Not Found"}
    r = httpx.post(f"{url}/media/avatars/a.png")
    assert r.status_code == 405


def test_bolt_media_max_age_alias(tmp_path: Path) -> None:
    root = tmp_path / "m"
    root.mkdir()
    (root / "x.txt").write_text("x")
    env = {"TEST_MARKER_DIR": str(tmp_path), "TEST_MEDIA_ROOT": str(root), "TEST_BOLT_MEDIA_MAX_AGE": "0"}
    p = BoltProcess(TEST_PROJECT, tmp_path / "runbolt.log", env=env)
    try:
        p.wait_ready()
        r = httpx.get(f"{p.url}/media/x.txt")
        assert r.status_code == 200 and r.headers["cache-control"] == "private, max-age=0"
        assert "settings.BOLT_MEDIA_MAX_AGE is django-bolt's name for DJANGO_BOLT['MEDIA_MAX_AGE']" in p.log()
    finally:
        p.stop()
