"""The spine through a real runbolt process: routing, parameters, responses, errors."""

from __future__ import annotations

import uuid

import httpx


def test_hello(client: httpx.Client) -> None:
    r = client.get("/hello")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"message": "Hello, World!"}


def test_path_and_query_params(client: httpx.Client) -> None:
    assert client.get("/items/42", params={"q": "abc"}).json() == {"item_id": 42, "q": "abc"}
    assert client.get("/items/42").json() == {"item_id": 42, "q": None}


def test_query_is_percent_decoded(client: httpx.Client) -> None:
    assert client.get("/items/1?q=a%20b%26c+d").json()["q"] == "a b&c d"


def test_path_params_bound_by_name_not_position(client: httpx.Client) -> None:
    assert client.get("/pair/7/x").json() == {"a": "x", "b": 7}


def test_encoded_slash_stays_in_one_parameter(client: httpx.Client) -> None:
    assert client.get("/pair/7/a%2Fb").json() == {"a": "a/b", "b": 7}


def test_converters(client: httpx.Client) -> None:
    assert client.get("/typed/12").json() == {"n": 12}
    r = client.get("/typed/abc")  # {n:int} does not match: no route
    assert r.status_code == 404
    assert client.get("/files/a/b/c.txt").json() == {"rest": "a/b/c.txt"}


def test_uuid_param(client: httpx.Client) -> None:
    u = uuid.uuid4()
    assert client.get(f"/uuid/{u}").json() == {"u": str(u), "version": 4}
    r = client.get("/uuid/not-a-uuid")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["path", "u"]


def test_repeated_query_keys_bool_float(client: httpx.Client) -> None:
    r = client.get("/search?ids=1&ids=2&ids=3&active=true&ratio=0.5")
    assert r.json() == {"ids": [1, 2, 3], "active": True, "ratio": 0.5, "tag": None}


def test_missing_required_query_is_422(client: httpx.Client) -> None:
    r = client.get("/search")
    assert r.status_code == 422
    assert r.json()["detail"] == [{"type": "missing", "loc": ["query", "ids"], "msg": "Field required", "input": None}]


def test_bad_query_types_name_each_parameter(client: httpx.Client) -> None:
    r = client.get("/search?ids=1&ids=x&active=maybe&ratio=fast")
    assert r.status_code == 422
    locs = [e["loc"] for e in r.json()["detail"]]
    assert locs == [["query", "ids", 1], ["query", "active"], ["query", "ratio"]]


def test_422_on_bad_path_int(client: httpx.Client) -> None:
    r = client.get("/items/abc")
    assert r.status_code == 422
    assert r.json() == {
        "detail": [
            {
                "type": "value_error",
                "loc": ["path", "item_id"],
                "msg": "Expected `int`, got `str`",
                "input": "abc",
            }
        ]
    }


def test_404_json(client: httpx.Client) -> None:
    r = client.get("/nope")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found"}


def test_405_with_allow(client: httpx.Client) -> None:
    r = client.post("/hello")
    assert r.status_code == 405
    assert r.json() == {"detail": "Method Not Allowed"}
    assert "GET" in [m.strip() for m in r.headers["allow"].split(",")]
    r = client.patch("/items/1")
    assert set(m.strip() for m in r.headers["allow"].split(",")) >= {"GET", "PUT", "DELETE"}


def test_head_is_get_without_body(client: httpx.Client) -> None:
    r = client.head("/hello")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == str(len(b'{"message":"Hello, World!"}'))


def test_text_and_bytes_responses(client: httpx.Client) -> None:
    r = client.get("/text")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == "plain text ✓"
    r = client.get("/bytes")
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.content == b"\x00\x01binary"


def test_http_exception_with_headers(client: httpx.Client) -> None:
    r = client.get("/teapot")
    assert r.status_code == 418
    assert r.json() == {"detail": "I'm a teapot"}
    assert r.headers["x-brew"] == "earl-grey"


def test_header_injection_never_reaches_the_wire(client: httpx.Client) -> None:
    r = client.get("/bad-header")
    assert r.status_code == 500
    assert "set-cookie" not in r.headers
    assert "x-evil" not in r.headers
    assert client.get("/hello").status_code == 200


def test_status_code_on_decorator(client: httpx.Client) -> None:
    r = client.post("/created")
    assert r.status_code == 201
    assert r.json() == {"created": True}


def test_struct_body_and_methods(client: httpx.Client) -> None:
    assert client.post("/items", json={"name": "pen", "price": 1.5}).json() == {"name": "pen", "price": 1.5}
    assert client.put("/items/3", json={"name": "ink", "price": 2}).json() == {"item_id": 3, "name": "ink"}
    assert client.delete("/items/3").json() == {"deleted": 3}


def test_invalid_json_body_is_422(client: httpx.Client) -> None:
    r = client.post("/items", content=b'{"name": "pen", "price": ')
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body"]
    r = client.post("/items", json={"name": "pen", "price": "free"})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "value_error", "loc": ["body", "price"], "msg": "Expected `float`, got `str`", "input": None}
    ]


def test_request_object(client: httpx.Client) -> None:
    r = client.get("/inspect?a=1&b=two", headers={"X-Custom": "yes", "User-Agent": "bolt-test"})
    assert r.json() == {
        "method": "GET",
        "path": "/inspect",
        "query": {"a": "1", "b": "two"},
        "agent": "bolt-test",
        "custom": "yes",
    }


def test_sync_to_thread_handler(client: httpx.Client) -> None:
    assert client.get("/sync?x=5").json() == {"sync": True, "x": 5}


def test_router_prefix(client: httpx.Client) -> None:
    assert client.get("/v1/status").json() == {"version": 1}


def test_api_from_settings_is_served(client: httpx.Client) -> None:
    assert client.get("/extra/ping").json() == {"from": "settings"}


def test_handler_that_awaits(client: httpx.Client) -> None:
    assert client.get("/sleep?seconds=0.05").json() == {"slept": 0.05}
