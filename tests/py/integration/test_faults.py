"""Faults through the in-process TestClient: handlers that raise, time out or return junk, and
malformed parameters; the server lives on. The app is defined here; tests/py/e2e/test_faults.py
keeps malformed bytes on a raw socket and the JSON log lines of a production process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from django_bolt import BoltAPI
from django_bolt.testing import TestClient

api = BoltAPI()


@api.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@api.get("/items/{item_id}")
async def get_item(item_id: int, q: str | None = None) -> dict[str, object]:
    return {"item_id": item_id, "q": q}


@api.get("/files/{rest:path}")
async def files(rest: str) -> dict[str, str]:
    return {"rest": rest}


@api.get("/raise")
async def boom() -> None:
    raise RuntimeError("handler exploded")


@api.get("/raise-after-await")
async def boom_later() -> None:
    await asyncio.sleep(0.01)
    raise ValueError("exploded after await")


@api.get("/unserialisable")
async def unserialisable() -> dict[str, object]:
    return {"obj": object()}


@api.get("/sleep")
async def sleep(seconds: float = 0.05) -> dict[str, float]:
    await asyncio.sleep(seconds)
    return {"slept": seconds}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    # DEBUG off (the default): no traceback in the body.
    # the 500 answers are what these tests check: no re-raise in the test
    with TestClient(api, raise_server_exceptions=False, settings={"HANDLER_TIMEOUT": 1}) as c:
        yield c


def test_handler_raises_500_and_server_keeps_serving(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="django_bolt"):
        r = client.get("/raise")
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}  # DEBUG=False: no traceback in the body
    assert client.get("/hello").status_code == 200
    assert "RuntimeError: handler exploded" in caplog.text


def test_handler_raises_after_await(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="django_bolt"):
        r = client.get("/raise-after-await")
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}
    assert "ValueError: exploded after await" in caplog.text


def test_unserialisable_return_is_500_and_logged(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="django_bolt"):
        r = client.get("/unserialisable")
    assert r.status_code == 500
    assert "could not be encoded" in caplog.text
    assert client.get("/hello").status_code == 200


def test_handler_timeout_is_504_and_task_cancelled(client: TestClient) -> None:
    # HANDLER_TIMEOUT is 1 s for this client.
    r = client.get("/sleep?seconds=8")
    assert r.status_code == 504
    assert r.json() == {"detail": "Handler timed out"}
    assert client.get("/hello").status_code == 200


def test_nul_in_query_is_400_without_calling_the_handler(client: TestClient) -> None:
    r = client.get("/items/1?q=a%00b")
    assert r.status_code == 400
    assert "NUL" in r.json()["detail"]


def test_invalid_utf8_in_path_param_is_400(client: TestClient) -> None:
    r = client.get("/files/%ff%fe")
    assert r.status_code == 400
    assert r.json() == {"detail": "Invalid path parameter 'rest'"}
