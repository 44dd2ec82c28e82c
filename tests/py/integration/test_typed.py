"""The typed request/response surface (markers, models, response classes, errors) through the
in-process TestClient. The app is defined here; tests/py/e2e/test_typed.py keeps what needs a
real runbolt (Django settings, the database readiness check)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import decimal
import enum
import logging
from collections.abc import Iterator
from pathlib import Path as FilePath
from typing import Annotated, Literal

import msgspec
import pytest
from pydantic import BaseModel, Field

from django_bolt import BoltAPI, Request
from django_bolt.exceptions import NotFound
from django_bolt.param_functions import Body, Cookie, Depends, Form, Header, Path, Query
from django_bolt.responses import HTML, JSON, FileResponse, PlainText, Redirect, Response
from django_bolt.testing import TestClient

FILES_DIR = FilePath(__file__).resolve().parents[1] / "project" / "files"


class Teapot(Exception):
    pass


api = BoltAPI(prefix="/typed")


@api.exception_handler(Teapot)
async def teapot_handler(request: Request, exc: Teapot) -> JSON:
    return JSON({"error": "teapot", "path": request.path, "ua": request.headers.get("user-agent")}, status_code=418)


@api.exception_handler(LookupError)
def lookup_handler(request: Request, exc: LookupError) -> JSON:
    return JSON({"error": "lookup", "kind": type(exc).__name__}, status_code=404)


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@api.get("/scalars")
async def scalars(
    d: decimal.Decimal,
    when: datetime.date,
    color: Color,
    mode: Literal["fast", "slow"] = "fast",
    at: datetime.datetime | None = None,
) -> dict[str, object]:
    return {"d": str(d), "when": when.isoformat(), "color": color.value, "mode": mode, "at": at}


@api.get("/limits/{n}")
async def limits(
    n: Annotated[int, Path(ge=1, le=10)],
    q: str = Query(min_length=2, max_length=5, pattern="^[a-z]+$"),
    page: Annotated[int, Query(gt=0)] = 1,
    size: int = Query(20, alias="page-size", le=100),
) -> dict[str, object]:
    return {"n": n, "q": q, "page": page, "size": size}


@api.get("/headers")
async def headers(
    x_token: str = Header(),
    user_agent: str | None = Header(None),
    x_tags: list[str] = Header([]),
    session: str | None = Cookie(None),
    theme: str = Cookie("light", alias="ui-theme"),
) -> dict[str, object]:
    return {"token": x_token, "ua": user_agent, "tags": x_tags, "session": session, "theme": theme}


class Filters(msgspec.Struct):
    status: str = "any"
    tags: list[str] = []
    limit: int = 10


@api.get("/filters")
async def filters(f: Annotated[Filters, Query()]) -> dict[str, object]:
    return {"status": f.status, "tags": f.tags, "limit": f.limit}


class ItemIn(BaseModel):
    name: str = Field(min_length=1)
    price: float = Field(gt=0)
    tags: list[str] = []


class ItemOut(BaseModel):
    name: str
    price: float


@api.post("/pydantic", status_code=201)
async def create_pydantic(item: ItemIn) -> ItemOut:
    return ItemOut(name=item.name, price=item.price)


@dataclasses.dataclass
class Point:
    x: int
    y: int


@api.post("/dataclass")
async def dataclass_body(p: Point) -> Point:
    return p


class Line(msgspec.Struct):
    start: Point
    end: Point


@api.post("/nested")
async def nested(line: Line) -> dict[str, int]:
    return {"dx": line.end.x - line.start.x}


@api.post("/embed")
async def embed(item: ItemIn = Body(embed=True), count: int = Body(1, embed=True)) -> dict[str, object]:
    return {"name": item.name, "count": count}


class UserOut(msgspec.Struct):
    id: int
    name: str


@api.get("/users/{user_id}", response_model=UserOut)
async def get_user(user_id: int) -> dict[str, object]:
    # password must not leave the server: response_model keeps only declared fields
    return {"id": user_id, "name": "ada", "password": "secret"}


@api.get("/bad-output", response_model=UserOut)
async def bad_output() -> dict[str, object]:
    return {"id": "not-an-int", "name": "x"}


@api.get("/users-list")
async def list_users() -> list[UserOut]:
    return [{"id": 1, "name": "a", "email": "hidden"}, {"id": 2, "name": "b"}]  # type: ignore[list-item]


@api.post("/form")
async def form(name: str = Form(), age: int = Form(), tags: list[str] = Form([])) -> dict[str, object]:
    return {"name": name, "age": age, "tags": tags}


db_calls = 0


async def db_session() -> dict[str, int]:
    global db_calls
    db_calls += 1
    return {"calls": db_calls}


def current_user(x_user: str = Header("anonymous"), db: dict[str, int] = Depends(db_session)) -> dict[str, object]:
    return {"name": x_user, "db": db}


async def audit(user: dict[str, object] = Depends(current_user), db: dict[str, int] = Depends(db_session)) -> str:
    return f"{user['name']}@{db['calls']}"


@api.get("/deps")
async def deps(
    user: Annotated[dict, Depends(current_user)],  # type: ignore[type-arg]
    trail: str = Depends(audit),
    limit: int = 5,
) -> dict[str, object]:
    return {"user": user["name"], "db_calls_seen": user["db"], "trail": trail, "limit": limit}


@api.get("/responses/{kind}")
async def responses(kind: str) -> object:
    if kind == "json":
        r = JSON({"ok": True}, status_code=202, headers={"X-Extra": "1"})
        r.set_cookie("sid", "abc", httponly=True, max_age=60)
        return r
    if kind == "text":
        return PlainText("hello")
    if kind == "html":
        return HTML("<h1>hi</h1>")
    if kind == "redirect":
        return Redirect("/typed/responses/json")
    if kind == "custom":
        return Response(b"a,b\n1,2\n", media_type="text/csv", headers={"Content-Disposition": "attachment"})
    if kind == "tuple":
        return 203, {"X-Tuple": "yes"}, {"from": "tuple"}
    if kind == "delete-cookie":
        r = Response(b"", status_code=204)
        r.delete_cookie("sid")
        return r
    if kind == "teapot":
        raise Teapot()
    if kind == "lookup":
        raise KeyError("x")
    if kind == "notfound":
        raise NotFound("no such kind", extra={"kind": kind})
    return {"kind": kind}


@api.get("/request-extras")
async def request_extras(request: Request) -> dict[str, object]:
    return {
        "cookies": request.cookies,
        "meta_ua": request.META.get("HTTP_USER_AGENT"),
        "absolute": request.build_absolute_uri(),
        "full_path": request.get_full_path(),
        "params": request["params"],
        "auth": request.get("auth"),
    }


@api.get("/quick-timeout", timeout=0.3)
async def quick_timeout(seconds: float = 2.0) -> dict[str, float]:
    await asyncio.sleep(seconds)
    return {"slept": seconds}


@api.get("/files/{name}")
async def send_file(name: str, download: bool = False) -> FileResponse:
    # the route takes a name, not a path, and the roots setting is a second fence
    path = FILES_DIR / name if name != "outside" else FilePath(__file__)
    return FileResponse(path, filename=name if download else None)


@api.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


SETTINGS = {"FILE_RESPONSE_ROOTS": [str(FILES_DIR)], "HANDLER_TIMEOUT": 3}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(api, settings=SETTINGS) as c:
        yield c


def test_scalar_types(client: TestClient) -> None:
    r = client.get("/typed/scalars?d=1.50&when=2024-02-29&color=blue&mode=slow&at=2024-01-02T03:04:05Z")
    assert r.json() == {
        "d": "1.50",
        "when": "2024-02-29",
        "color": "blue",
        "mode": "slow",
        "at": "2024-01-02T03:04:05Z",
    }


def test_bad_enum_literal_date_each_reported(client: TestClient) -> None:
    r = client.get("/typed/scalars?d=x&when=2024-02-30&color=green&mode=medium")
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [
        ["query", "d"],
        ["query", "when"],
        ["query", "color"],
        ["query", "mode"],
    ]


def test_constraints_and_alias(client: TestClient) -> None:
    assert client.get("/typed/limits/3?q=abc&page=2&page-size=50").json() == {"n": 3, "q": "abc", "page": 2, "size": 50}
    r = client.get("/typed/limits/11?q=A&page=0&page-size=500")
    assert r.status_code == 422
    errors = {tuple(e["loc"]): e["msg"] for e in r.json()["detail"]}
    assert errors == {
        ("path", "n"): "Expected `int` <= 10",
        ("query", "q"): "Expected `str` of length >= 2",
        ("query", "page"): "Expected `int` >= 1",
        ("query", "page-size"): "Expected `int` <= 100",
    }


def test_pattern_constraint(client: TestClient) -> None:
    r = client.get("/typed/limits/3?q=AB1")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "q"]
    assert r.json()["detail"][0]["msg"] == "Expected `str` matching regex '^[a-z]+$'"


def test_headers_and_cookies(client: TestClient) -> None:
    r = client.get(
        "/typed/headers",
        headers=[
            ("X-Token", "t1"),
            ("User-Agent", "ua/1"),
            ("X-Tags", "a"),
            ("X-Tags", "b"),
            ("Cookie", "session=s1; ui-theme=dark"),
        ],
    )
    assert r.json() == {"token": "t1", "ua": "ua/1", "tags": ["a", "b"], "session": "s1", "theme": "dark"}


def test_missing_header_is_422(client: TestClient) -> None:
    r = client.get("/typed/headers")
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "missing", "loc": ["header", "x-token"], "msg": "Field required", "input": None}
    ]


def test_query_parameter_model(client: TestClient) -> None:
    r = client.get("/typed/filters?status=open&tags=a&tags=b&limit=3")
    assert r.json() == {"status": "open", "tags": ["a", "b"], "limit": 3}
    assert client.get("/typed/filters").json() == {"status": "any", "tags": [], "limit": 10}
    r = client.get("/typed/filters?limit=many")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "limit"]


def test_pydantic_body_and_return_annotation(client: TestClient) -> None:
    r = client.post("/typed/pydantic", json={"name": "pen", "price": 2.5, "tags": ["x"]})
    assert r.status_code == 201
    assert r.json() == {"name": "pen", "price": 2.5}


def test_pydantic_errors_have_field_paths(client: TestClient) -> None:
    r = client.post("/typed/pydantic", json={"name": "", "price": -1, "tags": [1]})
    assert r.status_code == 422
    locs = sorted(tuple(e["loc"]) for e in r.json()["detail"])
    assert locs == [("body", "name"), ("body", "price"), ("body", "tags", 0)]
    types = {e["type"] for e in r.json()["detail"]}
    assert types == {"string_too_short", "greater_than", "string_type"}


def test_dataclass_and_nested_struct(client: TestClient) -> None:
    assert client.post("/typed/dataclass", json={"x": 1, "y": 2}).json() == {"x": 1, "y": 2}
    assert client.post("/typed/nested", json={"start": {"x": 1, "y": 0}, "end": {"x": 4, "y": 0}}).json() == {"dx": 3}
    r = client.post("/typed/nested", json={"start": {"x": 1, "y": 0}, "end": {"x": "far", "y": 0}})
    assert r.json()["detail"] == [
        {"type": "int_parsing", "loc": ["body", "end", "x"], "msg": "Expected `int`, got `str`", "input": "far"}
    ]


def test_embedded_bodies(client: TestClient) -> None:
    r = client.post("/typed/embed", json={"item": {"name": "a", "price": 1}, "count": 3})
    assert r.json() == {"name": "a", "count": 3}
    r = client.post("/typed/embed", json={"item": {"name": "a", "price": 1}})
    assert r.json() == {"name": "a", "count": 1}
    r = client.post("/typed/embed", json={"count": 3})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "item"]


def test_bad_bodies(client: TestClient) -> None:
    cases = {
        b"": "missing",
        b"{": "json_invalid",
        b'{"x": 1, "y": \xff}': "json_invalid",
        b"[" * 5000 + b"]" * 5000: "dict_type",  # refused at the first "[": a Point is an object
        b'{"x": 1e400, "y": 1}': "value_error",
        b'{"x": ' + b"9" * 5000 + b', "y": 1}': "value_error",  # out of range, refused without parsing
    }
    for body, kind in cases.items():
        r = client.post("/typed/dataclass", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422, body[:20]
        assert r.json()["detail"][0]["type"] == kind, (body[:20], r.json())
    assert client.get("/typed/hello").status_code == 200


def test_deeply_nested_json_is_422_not_a_crash(client: TestClient) -> None:
    deep = b'{"item": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = client.post("/typed/embed", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "json_invalid", "loc": ["body"], "msg": "JSON body is nested too deeply", "input": None}
    ]
    assert client.get("/typed/hello").status_code == 200


def test_response_model_filters_fields(client: TestClient) -> None:
    assert client.get("/typed/users/7").json() == {"id": 7, "name": "ada"}
    assert client.get("/typed/users-list").json() == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]


def test_response_model_mismatch_is_500_and_logged(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="django_bolt"):
        r = client.get("/typed/bad-output")
    assert r.status_code == 500
    assert "does not match the response model" in caplog.text


def test_urlencoded_form(client: TestClient) -> None:
    r = client.post("/typed/form", data={"name": "ada", "age": "36", "tags": ["x", "y"]})
    assert r.json() == {"name": "ada", "age": 36, "tags": ["x", "y"]}
    r = client.post("/typed/form", data={"name": "ada"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["form", "age"]


def test_dependencies_nested_and_cached_per_request(client: TestClient) -> None:
    first = client.get("/typed/deps?limit=2", headers={"X-User": "ada"}).json()
    second = client.get("/typed/deps", headers={"X-User": "bob"}).json()
    # db_session runs once per request although three dependencies use it
    assert second["db_calls_seen"]["calls"] == first["db_calls_seen"]["calls"] + 1
    assert first["trail"] == f"ada@{first['db_calls_seen']['calls']}"
    assert (first["user"], first["limit"], second["user"], second["limit"]) == ("ada", 2, "bob", 5)


def test_response_classes(client: TestClient) -> None:
    r = client.get("/typed/responses/json")
    assert r.status_code == 202
    assert r.json() == {"ok": True}
    assert r.headers["x-extra"] == "1"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("sid=abc") and "HttpOnly" in cookie and "Max-Age=60" in cookie
    assert client.get("/typed/responses/text").headers["content-type"] == "text/plain; charset=utf-8"
    assert client.get("/typed/responses/html").text == "<h1>hi</h1>"
    r = client.get("/typed/responses/redirect", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (307, "/typed/responses/json")
    r = client.get("/typed/responses/custom")
    assert (r.headers["content-type"], r.text) == ("text/csv", "a,b\n1,2\n")
    r = client.get("/typed/responses/tuple")
    assert (r.status_code, r.headers["x-tuple"], r.json()) == (203, "yes", {"from": "tuple"})
    r = client.get("/typed/responses/delete-cookie")
    assert r.status_code == 204
    assert "Max-Age=0" in r.headers["set-cookie"]


def test_exception_handlers_and_http_exception_extra(client: TestClient) -> None:
    r = client.get("/typed/responses/teapot", headers={"User-Agent": "pot"})
    assert r.status_code == 418
    assert r.json() == {"error": "teapot", "path": "/typed/responses/teapot", "ua": "pot"}
    r = client.get("/typed/responses/lookup")  # KeyError is handled by the LookupError handler
    assert (r.status_code, r.json()) == (404, {"error": "lookup", "kind": "KeyError"})
    r = client.get("/typed/responses/notfound")
    assert (r.status_code, r.json()) == (404, {"detail": "no such kind", "extra": {"kind": "notfound"}})


def test_request_extras(client: TestClient) -> None:
    r = client.get("/typed/request-extras?a=1", headers={"User-Agent": "ua", "Cookie": "c=v"})
    body = r.json()
    assert body["cookies"] == {"c": "v"}
    assert body["meta_ua"] == "ua"
    assert body["absolute"].endswith("/typed/request-extras?a=1")
    assert body["full_path"] == "/typed/request-extras?a=1"
    assert body["auth"] is None


def test_per_route_timeout_overrides_the_setting(client: TestClient) -> None:
    r = client.get("/typed/quick-timeout")  # timeout=0.3 on the route; HANDLER_TIMEOUT is 3 s
    assert r.status_code == 504
    assert client.get("/typed/quick-timeout?seconds=0.01").json() == {"slept": 0.01}


def test_file_response_is_sent_by_go(client: TestClient) -> None:
    r = client.get("/typed/files/hello.txt")
    assert (r.status_code, r.text) == (200, "hello file\n")
    assert r.headers["content-type"].startswith("text/plain")
    last_modified = r.headers["last-modified"]
    r = client.get("/typed/files/hello.txt", headers={"Range": "bytes=0-4"})
    assert (r.status_code, r.text) == (206, "hello")
    r = client.get("/typed/files/hello.txt", headers={"If-Modified-Since": last_modified})
    assert r.status_code == 304
    r = client.get("/typed/files/data.json?download=true")
    assert r.headers["content-type"] == "application/json"
    assert r.headers["content-disposition"] == 'attachment; filename="data.json"'


def test_file_response_refuses_missing_and_outside_files(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    assert client.get("/typed/files/nope.txt").json() == {"detail": "File not found"}
    with caplog.at_level(logging.ERROR, logger="django_bolt"):
        r = client.get("/typed/files/outside")
    assert r.status_code == 404
    assert "outside FILE_RESPONSE_ROOTS" in caplog.text
    assert client.get("/typed/files/..%2F..%2Fmanage.py").status_code == 404
