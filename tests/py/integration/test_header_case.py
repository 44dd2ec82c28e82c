"""The header names the server writes itself are in one case, canonical (``Location``, not
``location``), whether Go or Python adds them; a user's own header of the same name in another
case replaces ours rather than going out beside it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from django_bolt import BoltAPI
from django_bolt.responses import EventSourceResponse, FileResponse, Redirect
from django_bolt.testing import TestClient

api = BoltAPI()
HERE = Path(__file__).resolve()


@api.get("/redirect")
async def redirect() -> Redirect:
    return Redirect("/elsewhere")


@api.get("/file")
async def file() -> FileResponse:
    return FileResponse(HERE, filename="case.py")


@api.get("/events")
async def events(lower: bool = False) -> EventSourceResponse:
    async def gen():  # type: ignore[no-untyped-def]
        yield {"data": "x"}

    return EventSourceResponse(gen(), ping_interval=None, headers={"cache-control": "no-store"} if lower else None)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(api) as c:
        yield c


def _names(raw: list[tuple[bytes, bytes]]) -> list[str]:
    return [name.decode() for name, _ in raw]


def test_own_header_names_are_canonical(client: TestClient) -> None:
    r = client.get("/redirect", follow_redirects=False)
    assert r.status_code == 307 and "Location" in _names(r.headers.raw)
    r = client.get("/file")
    assert "Content-Disposition" in _names(r.headers.raw)
    r = client.get("/events")
    assert {"Cache-Control", "X-Accel-Buffering", "Content-Type"} <= set(_names(r.headers.raw))
    for name in _names(r.headers.raw):
        assert name[0].isupper(), name


def test_user_header_in_another_case_replaces_ours(client: TestClient) -> None:
    r = client.get("/events", params={"lower": "true"})
    assert [v for n, v in r.headers.raw if n.lower() == b"cache-control"] == [b"no-store"]
