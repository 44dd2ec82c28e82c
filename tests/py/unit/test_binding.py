"""Binding plans: raw record pieces -> handler kwargs, with 422 errors naming the parameter."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest
from pydantic import BaseModel

from django_bolt import Request, RequestValidationError
from django_bolt._routing.plans import plan_arguments as build_params
from django_bolt._runtime.binding import build_binder
from django_bolt.param_functions import Cookie, Header


def _bind(func: Any, path: str, params: bytes = b"", query: dict[str, Any] | None = None) -> dict[str, Any]:
    names = [seg[1:-1].split(":")[0] for seg in path.split("/") if seg.startswith("{")]
    binder = build_binder(build_params(func, "GET", names))
    assert binder is not None
    pairs: list[str] = []
    for k, v in (query or {}).items():
        for item in v if isinstance(v, list) else [v]:
            pairs += [k, item]
    return binder(1, path.encode(), params, "\0".join(pairs).encode(), b"", b"", b"")


async def item(item_id: int, q: str | None = None) -> None: ...


def test_path_and_optional_query() -> None:
    assert _bind(item, "/items/{item_id}", b"5") == {"item_id": 5, "q": None}
    assert _bind(item, "/items/{item_id}", b"5", {"q": "x"}) == {"item_id": 5, "q": "x"}


def test_negative_and_signed_ints_go_through_msgspec() -> None:
    assert _bind(item, "/items/{item_id}", b"-5")["item_id"] == -5
    with pytest.raises(RequestValidationError) as err:
        _bind(item, "/items/{item_id}", b"1_000")
    assert err.value.errors()[0]["loc"] == ["path", "item_id"]


async def many(b: int, a: str) -> None: ...


def test_path_values_follow_path_order() -> None:
    assert _bind(many, "/{a}/{b}", b"x\x007") == {"a": "x", "b": 7}


async def typed(ids: list[int], flag: bool = False, ratio: float = 1.0, u: uuid.UUID | None = None) -> None: ...


def test_scalar_types_and_lists() -> None:
    u = uuid.uuid4()
    got = _bind(typed, "/t", query={"ids": ["1", "2"], "flag": "true", "ratio": "2.5", "u": str(u)})
    assert got == {"ids": [1, 2], "flag": True, "ratio": 2.5, "u": u}


def test_last_value_wins_for_scalars() -> None:
    assert _bind(item, "/items/{item_id}", b"1", {"q": ["a", "b"]})["q"] == "b"


def test_every_bad_parameter_is_reported() -> None:
    with pytest.raises(RequestValidationError) as err:
        _bind(typed, "/t", query={"flag": "perhaps", "ratio": "x"})
    assert [e["loc"] for e in err.value.errors()] == [["query", "ids"], ["query", "flag"], ["query", "ratio"]]
    assert err.value.errors()[0]["type"] == "missing"
    assert err.value.status_code == 422


async def required_optional(q: int | None) -> None: ...


def test_optional_without_default_is_required() -> None:
    with pytest.raises(RequestValidationError):
        _bind(required_optional, "/r")
    assert _bind(required_optional, "/r", query={"q": "3"}) == {"q": 3}


async def no_args() -> None: ...


def test_no_parameters_means_no_binder() -> None:
    assert build_binder(build_params(no_args, "GET", [])) is None


async def from_headers(
    id: int,
    x_token: str = Header(),
    x_tags: list[str] = Header([]),
    accept: str = Header("*/*"),
    theme: str = Cookie("light"),
    limit: int = 10,
) -> None: ...


async def from_headers_with_request(
    request: Request,
    id: int,
    x_token: str = Header(),
    x_tags: list[str] = Header([]),
    accept: str = Header("*/*"),
    theme: str = Cookie("light"),
    limit: int = 10,
) -> None: ...


def _bind_headers(func: Any, headers: bytes, query: bytes = b"limit\x003") -> dict[str, Any]:
    binder = build_binder(build_params(func, "GET", ["id"]))
    assert binder is not None
    kwargs = binder(1, b"/h/4", b"4", query, headers, b"", b"")
    kwargs.pop("request", None)
    return kwargs


HEADERS = b"x-token\x00t1\x00x-tags\x00a\x00x-tags\x00b\x00cookie\x00theme=dark; s=1\x00x-request-id\x00r1"


@pytest.mark.parametrize("func", [from_headers, from_headers_with_request])
def test_headers_and_cookies_bind_the_same_on_both_binders(func: Any) -> None:
    # from_headers takes the scalar fast path, the request argument forces the general one.
    assert _bind_headers(func, HEADERS) == {
        "id": 4, "x_token": "t1", "x_tags": ["a", "b"], "accept": "*/*", "theme": "dark", "limit": 3,
    }  # fmt: skip
    repeated = b"x-token\x00t1\x00x-token\x00t2"
    assert _bind_headers(func, repeated)["x_token"] == "t1, t2"  # RFC 9110 5.3


@pytest.mark.parametrize("func", [from_headers, from_headers_with_request])
def test_missing_header_and_bad_query_are_reported_on_both_binders(func: Any) -> None:
    with pytest.raises(RequestValidationError) as err:
        _bind_headers(func, b"", b"limit\x00many")
    assert [e["loc"] for e in err.value.errors()] == [["header", "x-token"], ["query", "limit"]]


class Line(msgspec.Struct):
    sku: str
    qty: int


class LineModel(BaseModel):
    sku: str
    qty: int


async def body_struct(order: Line, id: int, q: int = 0) -> None: ...


async def body_struct_with_request(request: Request, order: Line, id: int, q: int = 0) -> None: ...


async def body_model(order: LineModel, id: int) -> None: ...


async def body_model_with_request(request: Request, order: LineModel, id: int) -> None: ...


def _bind_body(func: Any, body: bytes, query: bytes = b"") -> dict[str, Any]:
    binder = build_binder(build_params(func, "POST", ["id"]))
    assert binder is not None
    kwargs = binder(2, b"/o/4", b"4", query, b"", body, b"")
    kwargs.pop("request", None)
    return kwargs


def _body_errors(func: Any, body: bytes, query: bytes = b"") -> list[dict[str, Any]]:
    with pytest.raises(RequestValidationError) as err:
        _bind_body(func, body, query)
    return err.value.errors()


@pytest.mark.parametrize("func", [body_struct, body_struct_with_request])
def test_struct_body_binds_the_same_on_both_binders(func: Any) -> None:
    assert _bind_body(func, b'{"sku":"a","qty":2}') == {"order": Line("a", 2), "id": 4, "q": 0}
    assert _body_errors(func, b"") == [
        {"type": "missing", "loc": ["body"], "msg": "Request body required", "input": None}
    ]
    assert _body_errors(func, b"{nope")[0]["type"] == "json_invalid"
    errors = _body_errors(func, b'{"sku":"a","qty":"x"}', b"q\x00y")
    assert [e["loc"] for e in errors] == [["body", "qty"], ["query", "q"]]


@pytest.mark.parametrize("func", [body_model, body_model_with_request])
def test_pydantic_body_binds_the_same_on_both_binders(func: Any) -> None:
    assert _bind_body(func, b'{"sku":"a","qty":2}')["order"] == LineModel(sku="a", qty=2)
    assert [e["loc"] for e in _body_errors(func, b'{"sku":"a"}')] == [["body", "qty"]]
