"""Routing, parameters, responses and errors through the in-process TestClient (the Go router
and bridge of runbolt, no socket). The app is defined here; tests/py/e2e keeps what needs a
real process."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import msgspec
import pytest

from django_bolt import BoltAPI, HTTPException, Request, Router
from django_bolt.testing import TestClient

api = BoltAPI()


@api.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@api.get("/items/{item_id}")
async def get_item(item_id: int, q: str | None = None) -> dict[str, object]:
    return {"item_id": item_id, "q": q}


@api.get("/pair/{b}/{a}")
async def pair(a: str, b: int) -> dict[str, object]:
    return {"a": a, "b": b}


@api.get("/typed/{n:int}")
async def typed(n: int) -> dict[str, int]:
    return {"n": n}


@api.get("/files/{rest:path}")
async def files(rest: str) -> dict[str, str]:
    return {"rest": rest}


@api.get("/uuid/{u}")
async def get_uuid(u: uuid.UUID) -> dict[str, object]:
    return {"u": str(u), "version": u.version}


@api.get("/search")
async def search(ids: list[int], active: bool = False, ratio: float = 1.0, tag: str | None = None) -> dict[str, object]:
    return {"ids": ids, "active": active, "ratio": ratio, "tag": tag}


@api.get("/teapot")
async def teapot() -> None:
    raise HTTPException(418, "I'm a teapot", headers={"X-Brew": "earl-grey"})


@api.get("/bad-header")
async def bad_header() -> None:
    raise HTTPException(400, "nope", headers={"X-Evil": "a\r\nSet-Cookie: pwned=1"})


@api.get("/sleep")
async def sleep(seconds: float = 0.05) -> dict[str, float]:
    await asyncio.sleep(seconds)
    return {"slept": seconds}


@api.get("/text")
async def text() -> str:
    return "plain text ✓"


@api.get("/bytes")
async def raw_bytes() -> bytes:
    return b"\x00\x01binary"


@api.get("/inspect")
async def inspect_request(request: Request) -> dict[str, object]:
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "agent": request.headers.get("user-agent"),
        "custom": request.headers.get("x-custom"),
    }


@api.post("/created", status_code=201)
async def created() -> dict[str, bool]:
    return {"created": True}


class Item(msgspec.Struct):
    name: str
    price: float


@api.post("/items")
async def create_item(item: Item) -> dict[str, object]:
    return {"name": item.name, "price": item.price}


@api.put("/items/{item_id}")
async def replace_item(item_id: int, item: Item) -> dict[str, object]:
    return {"item_id": item_id, "name": item.name}


@api.delete("/items/{item_id}")
async def delete_item(item_id: int) -> dict[str, int]:
    return {"deleted": item_id}


@api.get("/sync", sync_to_thread=True)
def sync_handler(x: int = 1) -> dict[str, object]:
    return {"sync": True, "x": x}


v1 = Router(prefix="/v1")


@v1.get("/status")
async def status() -> dict[str, int]:
    return {"version": 1}


api.include_router(v1)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(api) as c:
        yield c


def test_hello(client: TestClient) -> None:
    r = client.get("/hello")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"message": "Hello, World!"}


def test_path_and_query_params(client: TestClient) -> None:
    assert client.get("/items/42", params={"q": "abc"}).json() == {"item_id": 42, "q": "abc"}
    assert client.get("/items/42").json() == {"item_id": 42, "q": None}


def test_query_is_percent_decoded(client: TestClient) -> None:
    assert client.get("/items/1?q=a%20b%26c+d").json()["q"] == "a b&c d"


def test_path_params_bound_by_name_not_position(client: TestClient) -> None:
    assert client.get("/pair/7/x").json() == {"a": "x", "b": 7}


def test_encoded_slash_stays_in_one_parameter(client: TestClient) -> None:
    assert client.get("/pair/7/a%2Fb").json() == {"a": "a/b", "b": 7}


def test_converters(client: TestClient) -> None:
    assert client.get("/typed/12").json() == {"n": 12}
    r = client.get("/typed/abc")  # {n:int} does not match: no route
    assert r.status_code == 404
    assert client.get("/files/a/b/c.txt").json() == {"rest": "a/b/c.txt"}


def test_uuid_param(client: TestClient) -> None:
    u = uuid.uuid4()
    assert client.get(f"/uuid/{u}").json() == {"u": str(u), "version": 4}
    r = client.get("/uuid/not-a-uuid")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["path", "u"]


def test_repeated_query_keys_bool_float(client: TestClient) -> None:
    r = client.get("/search?ids=1&ids=2&ids=3&active=true&ratio=0.5")
    assert r.json() == {"ids": [1, 2, 3], "active": True, "ratio": 0.5, "tag": None}


def test_missing_required_query_is_422(client: TestClient) -> None:
    r = client.get("/search")
    assert r.status_code == 422
    assert r.json()["detail"] == [{"type": "missing", "loc": ["query", "ids"], "msg": "Field required", "input": None}]


def test_bad_query_types_name_each_parameter(client: TestClient) -> None:
    r = client.get("/search?ids=1&ids=x&active=maybe&ratio=fast")
    assert r.status_code == 422
    locs = [e["loc"] for e in r.json()["detail"]]
    assert locs == [["query", "ids", 1], ["query", "active"], ["query", "ratio"]]


def test_422_on_bad_path_int(client: TestClient) -> None:
    r = client.get("/items/abc")
    assert r.status_code == 422
    assert r.json() == {
        "detail": [
            {
                "type": "int_parsing",
                "loc": ["path", "item_id"],
                "msg": "Expected `int`, got `str`",
                "input": "abc",
            }
        ]
    }


def test_404_json(client: TestClient) -> None:
    r = client.get("/nope")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found"}


def test_405_with_allow(client: TestClient) -> None:
    r = client.post("/hello")
    assert r.status_code == 405
    assert r.json() == {"detail": "Method Not Allowed"}
    assert "GET" in [m.strip() for m in r.headers["allow"].split(",")]
    r = client.patch("/items/1")
    assert set(m.strip() for m in r.headers["allow"].split(",")) >= {"GET", "PUT", "DELETE"}


def test_head_is_get_without_body(client: TestClient) -> None:
    r = client.head("/hello")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == str(len(b'{"message":"Hello, World!"}'))


def test_text_and_bytes_responses(client: TestClient) -> None:
    r = client.get("/text")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == "plain text ✓"
    r = client.get("/bytes")
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.content == b"\x00\x01binary"


def test_http_exception_with_headers(client: TestClient) -> None:
    r = client.get("/teapot")
    assert r.status_code == 418
    assert r.json() == {"detail": "I'm a teapot"}
    assert r.headers["x-brew"] == "earl-grey"


def test_header_injection_never_reaches_the_wire(client: TestClient) -> None:
    # The test client parses the raw bytes Go wrote, so an injected header would show here.
    r = client.get("/bad-header")
    assert r.status_code == 500
    assert "set-cookie" not in r.headers
    assert "x-evil" not in r.headers
    assert client.get("/hello").status_code == 200


def test_status_code_on_decorator(client: TestClient) -> None:
    r = client.post("/created")
    assert r.status_code == 201
    assert r.json() == {"created": True}


def test_struct_body_and_methods(client: TestClient) -> None:
    assert client.post("/items", json={"name": "pen", "price": 1.5}).json() == {"name": "pen", "price": 1.5}
    assert client.put("/items/3", json={"name": "ink", "price": 2}).json() == {"item_id": 3, "name": "ink"}
    assert client.delete("/items/3").json() == {"deleted": 3}


def test_invalid_json_body_is_422(client: TestClient) -> None:
    r = client.post("/items", content=b'{"name": "pen", "price": ')
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body"]
    r = client.post("/items", json={"name": "pen", "price": "free"})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "float_parsing", "loc": ["body", "price"], "msg": "Expected `float`, got `str`", "input": "free"}
    ]


def test_request_object(client: TestClient) -> None:
    r = client.get("/inspect?a=1&b=two", headers={"X-Custom": "yes", "User-Agent": "bolt-test"})
    assert r.json() == {
        "method": "GET",
        "path": "/inspect",
        "query": {"a": "1", "b": "two"},
        "agent": "bolt-test",
        "custom": "yes",
    }


def test_sync_to_thread_handler(client: TestClient) -> None:
    assert client.get("/sync?x=5").json() == {"sync": True, "x": 5}


def test_router_prefix(client: TestClient) -> None:
    assert client.get("/v1/status").json() == {"version": 1}


def test_handler_that_awaits(client: TestClient) -> None:
    assert client.get("/sleep?seconds=0.05").json() == {"slept": 0.05}
