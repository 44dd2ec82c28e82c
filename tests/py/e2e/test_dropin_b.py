"""Issue 18, part B, through a real runbolt on loopback (tests/py/project/testproject/
dropin_b_api.py): the raw QUERY_STRING, request.user loaded for dependencies and helpers on
auth routes (JWT and session), SSE[T] / JSONL[T] streams with Last-Event-ID, and the Python
middleware chain's calling conventions."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate

from ..conftest import SUPERUSER, BoltProcess, bolt_with_db

APIS = ["testproject.django_api.api", "testproject.dropin_b_api.api"]


@pytest.fixture(scope="module")
def bolt(tmp_path_factory: pytest.TempPathFactory, migrated_db: Path) -> Iterator[BoltProcess]:
    p = bolt_with_db(
        migrated_db, tmp_path_factory.mktemp("dropin_b"), env={"TEST_BOLT_SETTINGS": json.dumps({"API": APIS})}
    )
    yield p
    p.stop()


@pytest.fixture(scope="module")
def client(bolt: BoltProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=bolt.url, timeout=10) as c:
        yield c


def _raw_get(port: int, target: bytes) -> tuple[int, bytes]:
    """GET ``target`` exactly as given (httpx would normalise the query)."""
    status, _, body = _raw_exchange(port, target)
    return status, body


def _raw_exchange(port: int, target: bytes) -> tuple[int, bytes, bytes]:
    """Status, head and body of a GET of ``target`` as given, on a fresh connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head, body


# ---- request.META["QUERY_STRING"] is the query as sent ----------------------------------------

ODD_QUERIES = [
    "a=%2F&b=+&c",  # an escaped slash, a plus (a space when decoded), a key without "="
    "a=1&a=2&b=",  # repeated keys, an empty value
    "x=%7e%7E&y=caf%C3%A9&z=a%20b",  # lower- and upper-case escapes, UTF-8, %20 (not +)
    "q=1;r=2&&s",  # separators Django leaves alone
]


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_query_string_is_passed_through_raw(bolt: BoltProcess, query: str) -> None:
    status, body = _raw_get(bolt.port, b"/b/qs?" + query.encode())
    assert status == 200
    got = json.loads(body)
    assert got["raw"] == query
    assert got["full"] == f"/b/qs?{query}"


def test_decoded_query_beside_the_raw_one(bolt: BoltProcess) -> None:
    status, body = _raw_get(bolt.port, b"/b/qs?a=%2F&b=+&c&a=last")
    assert status == 200
    assert json.loads(body)["query"] == {"a": "last", "b": " ", "c": ""}


def test_raw_utf8_bytes_in_the_query(bolt: BoltProcess) -> None:
    status, body = _raw_get(bolt.port, '/b/qs?name=café&quote="x"'.encode())
    assert status == 200
    assert json.loads(body)["raw"] == 'name=café&quote="x"'


def test_non_utf8_percent_escapes_are_a_json_400(bolt: BoltProcess) -> None:
    status, body = _raw_get(bolt.port, b"/b/qs?a=%FF")
    assert status == 400
    assert json.loads(body) == {"detail": "Invalid query string: NUL byte or invalid UTF-8"}


def test_no_query_is_an_empty_query_string(client: httpx.Client) -> None:
    assert client.get("/b/qs").json() == {"raw": "", "query": {}, "full": "/b/qs"}


def test_query_string_raw_in_a_middleware_chain(bolt: BoltProcess) -> None:
    status, head, body = _raw_exchange(bolt.port, b"/b/qs-mw?a=%2f&b=+&c")
    assert status == 200 and json.loads(body) == {"a": "/"}
    assert b"\r\nX-Stamp: a=%2f&b=+&c\r\n" in head  # what the middleware read: as sent


# ---- request.user in dependencies and helpers ----------------------------------------------


def _login(c: httpx.Client) -> None:
    r = c.post("/dj/login", json={"username": SUPERUSER[0], "password": SUPERUSER[1]})
    assert r.status_code == 200


def _bearer(bolt: BoltProcess) -> dict[str, str]:
    with httpx.Client(base_url=bolt.url) as c:
        _login(c)
        return {"Authorization": f"Bearer {c.get('/dj/token').json()['token']}"}


@pytest.mark.parametrize("path", ["/b/user/dep", "/b/user/helper"])
def test_user_read_outside_the_handler_is_loaded_for_a_jwt(bolt: BoltProcess, path: str) -> None:
    r = httpx.get(f"{bolt.url}{path}", headers=_bearer(bolt))
    assert r.status_code == 200, r.text
    assert r.json() == {"username": SUPERUSER[0]}


@pytest.mark.parametrize("path", ["/b/user/dep", "/b/user/helper"])
def test_user_read_outside_the_handler_is_loaded_for_a_session(bolt: BoltProcess, path: str) -> None:
    with httpx.Client(base_url=bolt.url) as c:
        _login(c)
        r = c.get(path)
        assert r.status_code == 200, r.text
        assert r.json() == {"username": SUPERUSER[0]}


@pytest.mark.parametrize("path", ["/b/user/dep", "/b/user/helper"])
def test_user_is_none_when_anonymous(bolt: BoltProcess, path: str) -> None:
    assert httpx.get(f"{bolt.url}{path}").json() == {"username": None}


def test_user_read_in_a_nested_dependency_in_another_module(bolt: BoltProcess) -> None:
    assert httpx.get(f"{bolt.url}/b/user/nested-dep", headers=_bearer(bolt)).json() == {"greeting": "hello admin"}
    assert httpx.get(f"{bolt.url}/b/user/nested-dep").json() == {"greeting": "hello stranger"}


def test_user_not_read_is_not_loaded(bolt: BoltProcess) -> None:
    assert httpx.get(f"{bolt.url}/b/user/none", headers=_bearer(bolt)).json() == {"loaded": False}


# ---- typed streams ------------------------------------------------------------------------


def _events(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line and not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
        if fields:
            events.append(fields)
    return events


def _stream(bolt: BoltProcess, path: str, headers: dict[str, str] | None = None) -> tuple[httpx.Response, str]:
    with httpx.Client(base_url=bolt.url, timeout=10) as c, c.stream("GET", path, headers=headers) as r:
        text = "".join(r.iter_text())
    return r, text


def test_sse_items_are_validated_and_sent_as_events(bolt: BoltProcess) -> None:
    r, text = _stream(bolt, "/b/ticks")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["cache-control"] == "no-cache"
    events = _events(text)
    assert [e["id"] for e in events] == ["0", "1", "2"]
    assert {e["event"] for e in events} == {"tick"}
    # the dict items became Tick: the default label was filled in
    assert [json.loads(e["data"]) for e in events] == [{"n": n, "label": "tick"} for n in range(3)]


def test_sse_resumes_after_last_event_id(bolt: BoltProcess) -> None:
    _, first = _stream(bolt, "/b/ticks?count=2")
    last = _events(first)[-1]["id"]
    _, again = _stream(bolt, "/b/ticks?count=2", headers={"Last-Event-ID": last})
    assert [e["id"] for e in _events(again)] == ["2", "3"]


def test_last_event_id_as_a_typed_parameter(bolt: BoltProcess) -> None:
    _, text = _stream(bolt, "/b/ticks/typed-id", headers={"Last-Event-ID": "41"})
    assert json.loads(_events(text)[0]["data"]) == {"n": 42, "label": "tick"}
    bad = httpx.get(f"{bolt.url}/b/ticks/typed-id", headers={"Last-Event-ID": "x"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["header", "last-event-id"]


def test_jsonl_items_one_per_line(bolt: BoltProcess) -> None:
    r, text = _stream(bolt, "/b/rows")
    assert r.status_code == 200 and r.headers["content-type"] == "application/jsonl"
    assert [json.loads(line) for line in text.splitlines()] == [{"n": n, "label": f"row {n}"} for n in range(3)]
    assert text.endswith("\n")


def test_jsonl_from_a_returned_iterable_and_a_sync_generator(bolt: BoltProcess) -> None:
    _, text = _stream(bolt, "/b/rows/returned")
    assert [json.loads(line) for line in text.splitlines()] == [{"n": 1, "label": "tick"}, {"n": 2, "label": "two"}]
    _, text = _stream(bolt, "/b/rows/sync")
    assert [json.loads(line) for line in text.splitlines()] == [{"n": 7, "label": "tick"}]


def test_a_returned_response_is_sent_as_it_is(bolt: BoltProcess) -> None:
    r = httpx.get(f"{bolt.url}/b/rows/refused")
    assert (r.status_code, r.json()) == (403, {"detail": "no rows for you"})
    assert httpx.get(f"{bolt.url}/b/rows/refused?ok=true").text == '{"n":1,"label":"tick"}\n'


def test_an_error_before_the_first_item_keeps_its_status(bolt: BoltProcess) -> None:
    r = httpx.get(f"{bolt.url}/b/rows/guarded")
    assert (r.status_code, r.json()) == (403, {"detail": "no rows for you"})
    assert httpx.get(f"{bolt.url}/b/rows/guarded?key=open").text == '{"n":1,"label":"tick"}\n'
    bad = httpx.get(f"{bolt.url}/b/rows/bad-first")
    assert (bad.status_code, bad.json()) == (500, {"detail": "Internal Server Error"})
    empty = httpx.get(f"{bolt.url}/b/ticks/none")
    assert (empty.status_code, empty.text) == (200, "")
    assert empty.headers["content-type"].startswith("text/event-stream")


def test_an_invalid_item_ends_the_stream_after_the_valid_ones(bolt: BoltProcess) -> None:
    got = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.Client(base_url=bolt.url, timeout=10) as c,
        c.stream("GET", "/b/rows/bad") as r,
    ):
        for chunk in r.iter_raw():
            got += chunk
    assert got == b'{"n":1,"label":"tick"}\n'  # the invalid item and what followed never left
    log = bolt.log_path.read_text()
    assert "rows_bad" in log or "/b/rows/bad" in log


def test_pydantic_items(bolt: BoltProcess) -> None:
    got = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.Client(base_url=bolt.url, timeout=10) as c,
        c.stream("GET", "/b/prices") as r,
    ):
        for chunk in r.iter_raw():
            got += chunk
    lines = [json.loads(line) for line in got.decode().splitlines()]
    assert lines == [{"symbol": "ABC", "cents": 100}, {"symbol": "XYZ", "cents": 250}]


def test_openapi_documents_stream_media_types_and_item_schema(client: httpx.Client) -> None:
    doc = client.get("/docs/openapi.json").json()
    validate(doc)
    sse = doc["paths"]["/b/ticks"]["get"]["responses"]["200"]["content"]
    jsonl = doc["paths"]["/b/rows"]["get"]["responses"]["200"]["content"]
    assert list(sse) == ["text/event-stream"] and list(jsonl) == ["application/jsonl"]
    for media in (sse["text/event-stream"], jsonl["application/jsonl"]):
        assert media["schema"]["type"] == "string"
        assert media["x-itemSchema"] == {"$ref": "#/components/schemas/Tick"}
    assert doc["components"]["schemas"]["Tick"]["required"] == ["n"]
    price = doc["paths"]["/b/prices"]["get"]["responses"]["200"]["content"]["application/jsonl"]
    assert price["x-itemSchema"] == {"$ref": "#/components/schemas/Price"}
    params = {p["name"].lower(): p["in"] for p in doc["paths"]["/b/ticks"]["get"]["parameters"]}
    assert params["last-event-id"] == "header"


# ---- the middleware chain's calling conventions ---------------------------------------------


def test_chain_with_odd_parameter_names_and_positional_only_call(client: httpx.Client) -> None:
    r = client.get("/b/chain/7")
    assert (r.status_code, r.json(), r.headers["x-odd"]) == (202, {"n": 7}, "1")
    assert r.headers["content-type"] == "application/json" and r.headers["set-cookie"].startswith("seen=1;")
    bad = client.get("/b/chain/x")  # bound inside the chain: the error travels up through it
    assert bad.status_code == 422 and "x-odd" not in bad.headers


def test_chain_middleware_may_replace_the_content(client: httpx.Client) -> None:
    assert client.get("/b/chain-content").json() == {"wrapped": [1, 2]}
