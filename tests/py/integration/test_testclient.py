"""TestClient / AsyncTestClient: the real Go router and bridge, in-process, no port."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import msgspec
import pytest

from django_bolt import BoltAPI, HTTPException, Request
from django_bolt.responses import StreamingResponse
from django_bolt.testing import AsyncTestClient, TestClient


class Item(msgspec.Struct):
    name: str
    price: float


def make_api(events: list[str] | None = None) -> BoltAPI:
    @asynccontextmanager
    async def life(api: BoltAPI) -> AsyncIterator[None]:
        if events is not None:
            events.append("start")
        yield
        if events is not None:
            events.append("stop")

    api = BoltAPI(lifespan=life)

    @api.get("/hello")
    async def hello() -> dict[str, str]:
        return {"message": "Hello, World!"}

    @api.get("/items/{item_id}")
    async def get_item(item_id: int, q: str | None = None) -> dict[str, object]:
        return {"item_id": item_id, "q": q}

    @api.post("/items", status_code=201)
    async def create(item: Item) -> Item:
        return item

    @api.get("/slow")
    async def slow() -> dict[str, bool]:
        await asyncio.sleep(0.01)
        return {"slept": True}

    @api.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    @api.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(418, "short and stout", headers={"X-Pot": "1"})

    @api.get("/echo-headers")
    async def echo_headers(request: Request) -> dict[str, str | None]:
        return {"x": request.headers.get("x-test"), "host": request.headers.get("host")}

    return api


def test_requests_go_through_router_and_handlers() -> None:
    with TestClient(make_api()) as client:
        assert client.get("/hello").json() == {"message": "Hello, World!"}
        assert client.get("/items/3", params={"q": "z"}).json() == {"item_id": 3, "q": "z"}
        r = client.post("/items", json={"name": "pen", "price": 1.5})
        assert (r.status_code, r.json()) == (201, {"name": "pen", "price": 1.5})
        assert client.get("/slow").json() == {"slept": True}
        assert client.get("/echo-headers", headers={"X-Test": "yes"}).json() == {"x": "yes", "host": "testserver"}


def test_big_bodies_travel_apart_from_their_record() -> None:
    # Over bridge.BodyApartMin (32 KiB) the body is read with bolt_read_body, not sliced.
    with TestClient(make_api()) as client:
        for name in ("x" * 40_000, "é" * 300_000):
            r = client.post("/items", json={"name": name, "price": 2})
            assert (r.status_code, r.json()) == (201, {"name": name, "price": 2})


def test_errors_are_the_servers() -> None:
    with TestClient(make_api(), raise_server_exceptions=False) as client:
        assert client.get("/nope").json() == {"detail": "Not Found"}
        r = client.post("/hello")
        assert r.status_code == 405 and "GET" in r.headers["allow"]
        assert client.get("/items/abc").status_code == 422
        assert client.get("/boom").json() == {"detail": "Internal Server Error"}
        r = client.get("/teapot")
        assert (r.status_code, r.headers["x-pot"], r.json()) == (418, "1", {"detail": "short and stout"})
        assert client.head("/hello").content == b""


def test_settings_apply_to_the_in_process_server() -> None:
    with TestClient(make_api(), settings={"MAX_BODY_SIZE": 64}) as client:
        r = client.post("/items", json={"name": "x" * 100, "price": 1})
        assert r.status_code == 413


def test_lifespan_runs_once_around_the_client() -> None:
    events: list[str] = []
    client = TestClient(make_api(events))
    assert events == ["start"]
    client.get("/hello")
    client.close()
    assert events == ["start", "stop"]
    with pytest.raises(RuntimeError, match="closed"):
        client.get("/hello")


def test_async_client_and_concurrency() -> None:
    async def main() -> None:
        async with AsyncTestClient(make_api()) as client:
            responses = await asyncio.gather(*(client.get(f"/items/{i}") for i in range(50)))
            assert [r.json()["item_id"] for r in responses] == list(range(50))

    asyncio.run(main())


def test_two_clients_at_once_are_independent() -> None:
    a, b = make_api(), BoltAPI()

    @b.get("/hello")
    async def other() -> str:
        return "other"

    with TestClient(a) as ca, TestClient(b) as cb:
        assert ca.get("/hello").json() == {"message": "Hello, World!"}
        assert cb.get("/hello").text == "other"


def test_readiness_route_and_its_settings() -> None:
    api = make_api()

    @api.ready_check
    async def broken() -> None:
        raise ConnectionError("cache unreachable")

    with TestClient(api) as client:
        r = client.get("/ready")
        assert r.status_code == 503
        assert r.json() == {"status": "not ready", "checks": {"broken": "ConnectionError: cache unreachable"}}
    with TestClient(api, settings={"READY_PATH": None}) as client:
        assert client.get("/ready").status_code == 404


def test_a_route_on_the_ready_path_is_a_start_up_error() -> None:
    from django_bolt import BoltConfigError

    api = BoltAPI()

    @api.get("/ready")
    async def mine() -> str:
        return "mine"

    with pytest.raises(BoltConfigError, match="GET /ready is registered twice"):
        TestClient(api)
    with TestClient(api, settings={"READY_PATH": "/readyz"}) as client:
        assert client.get("/ready").text == "mine"
        assert client.get("/readyz").json() == {"status": "ready", "checks": {}}


def test_raise_server_exceptions_reraises_in_the_test() -> None:
    with TestClient(make_api()) as client:  # django-bolt's default: True
        with pytest.raises(Exception) as info:  # noqa: PT011 - whatever the handler raised
            client.get("/boom")
        assert not isinstance(info.value, httpx.HTTPError)
        assert client.get("/teapot").status_code == 418  # HTTPException: an answer, not a failure


def test_stream_true_reads_as_it_arrives() -> None:
    api = BoltAPI()

    @api.get("/lines")
    async def lines() -> StreamingResponse:
        async def gen() -> AsyncIterator[str]:
            for i in range(3):
                yield f"line {i}\n"

        return StreamingResponse(gen(), media_type="text/plain")

    with TestClient(api) as client:
        r = client.get("/lines", stream=True)
        assert list(r.iter_lines()) == ["line 0", "line 1", "line 2"]
        r.close()
        r = client.get("/lines", stream=True)
        assert b"".join(r.iter_content()) == b"line 0\nline 1\nline 2\n"  # type: ignore[attr-defined]
        r.close()


def test_cors_allowed_origins_keyword() -> None:
    with TestClient(make_api(), cors_allowed_origins=["https://app.example"]) as client:
        r = client.get("/hello", headers={"Origin": "https://app.example"})
        assert r.headers["access-control-allow-origin"] == "https://app.example"
        assert (
            "access-control-allow-origin" not in client.get("/hello", headers={"Origin": "https://x.example"}).headers
        )


def test_create_test_client_helper() -> None:
    helpers = importlib.import_module("django_bolt.testing.helpers")
    with helpers.create_test_client(make_api()) as client:
        assert client.get("/hello").json() == {"message": "Hello, World!"}
