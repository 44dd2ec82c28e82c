"""Every validation problem of a msgspec body in one 422 (FastAPI's shape: type, loc, msg,
input), with the value that was sent and a precise type. Validation needs no socket: the
in-process TestClient runs the same Go router and binder as runbolt."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Annotated, Literal

import msgspec
import pytest

from django_bolt import BoltAPI
from django_bolt.testing import TestClient

api = BoltAPI(prefix="/errs")


class Address(msgspec.Struct):
    city: Annotated[str, msgspec.Meta(min_length=2)]
    zip: int


class Order(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=3, max_length=10)]
    quantity: Annotated[int, msgspec.Meta(ge=1)]
    price: float
    kind: Literal["retail", "bulk"]
    tags: list[str]
    address: Address
    note: str = ""


@dataclasses.dataclass
class Point:
    x: int
    y: int


@api.post("/order")
async def order(body: Order) -> dict[str, str]:
    return {"name": body.name}


@api.post("/point")
async def point(body: Point, verbose: bool = False) -> dict[str, int]:
    return {"x": body.x}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(api) as c:
        yield c


def test_every_problem_of_a_struct_body_is_listed(client: TestClient) -> None:
    sent = {
        "name": "ab",
        "quantity": "three",
        "price": [],
        "kind": "wholesale",
        "tags": ["ok", 5, "fine", None],
        "address": {"city": "X"},
    }
    r = client.post("/errs/order", json=sent)
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "string_too_short", "loc": ["body", "name"], "msg": "Expected `str` of length >= 3", "input": "ab"},
        {"type": "int_parsing", "loc": ["body", "quantity"], "msg": "Expected `int`, got `str`", "input": "three"},
        {"type": "float_type", "loc": ["body", "price"], "msg": "Expected `float`, got `array`", "input": []},
        {
            "type": "literal_error",
            "loc": ["body", "kind"],
            "msg": "Invalid enum value 'wholesale'",
            "input": "wholesale",
        },
        {"type": "string_type", "loc": ["body", "tags", 1], "msg": "Expected `str`, got `int`", "input": 5},
        {"type": "string_type", "loc": ["body", "tags", 3], "msg": "Expected `str`, got `null`", "input": None},
        {
            "type": "string_too_short",
            "loc": ["body", "address", "city"],
            "msg": "Expected `str` of length >= 2",
            "input": "X",
        },
        {"type": "missing", "loc": ["body", "address", "zip"], "msg": "Field required", "input": {"city": "X"}},
    ]


def test_missing_fields_and_constraints(client: TestClient) -> None:
    r = client.post("/errs/order", json={"name": "a" * 11, "quantity": 0})
    assert r.status_code == 422
    assert [(e["type"], e["loc"]) for e in r.json()["detail"]] == [
        ("string_too_long", ["body", "name"]),
        ("greater_than_equal", ["body", "quantity"]),
        ("missing", ["body", "price"]),
        ("missing", ["body", "kind"]),
        ("missing", ["body", "tags"]),
        ("missing", ["body", "address"]),
    ]


def test_dataclass_body_and_query_errors_together(client: TestClient) -> None:
    r = client.post("/errs/point", params={"verbose": "maybe"}, json={"x": "1", "y": 2.5})
    assert r.status_code == 422
    assert [(e["type"], e["loc"], e["input"]) for e in r.json()["detail"]] == [
        ("int_parsing", ["body", "x"], "1"),
        ("int_type", ["body", "y"], 2.5),
        ("bool_parsing", ["query", "verbose"], "maybe"),
    ]


def test_a_valid_body_still_binds_and_invalid_json_is_one_entry(client: TestClient) -> None:
    ok = {
        "name": "pens",
        "quantity": 2,
        "price": 1.5,
        "kind": "bulk",
        "tags": [],
        "address": {"city": "Oslo", "zip": 1},
    }
    assert client.post("/errs/order", json=ok).json() == {"name": "pens"}
    r = client.post("/errs/order", content=b'{"name": ', headers={"content-type": "application/json"})
    assert [e["type"] for e in r.json()["detail"]] == ["json_invalid"]
    r = client.post("/errs/order", json=[1, 2])
    assert [(e["type"], e["loc"]) for e in r.json()["detail"]] == [("dict_type", ["body"])]


def test_the_list_is_bounded(client: TestClient) -> None:
    ok = {"name": "pens", "quantity": 2, "price": 1.5, "kind": "bulk", "address": {"city": "Oslo", "zip": 1}}
    r = client.post("/errs/order", json={**ok, "tags": list(range(1000))})
    assert r.status_code == 422
    assert len(r.json()["detail"]) == 100
