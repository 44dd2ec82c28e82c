"""Serializers without a database: validation, forms, dumping, variants; and as bodies and
responses through the in-process TestClient. Model-backed behaviour: tests/py/e2e/test_views_db.py."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import pytest

from django_bolt import BoltAPI, BoltConfigError, RequestValidationError
from django_bolt.openapi.document import build_document
from django_bolt.serializers import (
    UNSET,
    Email,
    Nested,
    PositiveInt,
    Serializer,
    computed_field,
    field,
    field_validator,
    model_validator,
)
from django_bolt.testing import TestClient


class User(Serializer):
    id: int = field(read_only=True, default=0)
    email: Email
    password: str = field(write_only=True)
    age: PositiveInt = 18
    nickname: str = field(default="", alias="nick")

    class Config:
        field_sets = {"public": ["id", "email"]}

    @field_validator("email")
    def lower(cls, value: str) -> str:
        if value.startswith("admin"):
            raise ValueError("reserved address")
        return value.lower()

    @model_validator()
    def password_not_email(self) -> None:
        if self.password == self.email:
            raise ValueError("password must differ from email")

    @computed_field
    def domain(self) -> str:
        return self.email.split("@")[1]


class Line(Serializer):
    sku: str


class Account:
    """A model-like object (attributes only)."""

    id = 7
    email = "ann@example.com"
    password = "hashed"
    age = 30
    nickname = "annie"


def test_fields_are_keyword_only_and_validators_run() -> None:
    with pytest.raises(TypeError):
        User("a@b.co", "pw")  # type: ignore[misc]
    u = User.model_validate({"email": "Ann@Example.com", "password": "pw"})
    assert u.email == "ann@example.com" and u.age == 18


def test_every_error_comes_back_together() -> None:
    with pytest.raises(RequestValidationError) as info:
        User.model_validate({"email": "admin@x.io", "age": -1, "nick": 5})
    locs = sorted(tuple(e["loc"]) for e in info.value.errors())
    assert locs == [("body", "age"), ("body", "email"), ("body", "nick"), ("body", "password")]
    with pytest.raises(RequestValidationError) as info:
        User.model_validate_json(b'{"email": "a@b.co", "password": "a@b.co"}')
    assert info.value.errors()[0]["msg"] == "password must differ from email"
    with pytest.raises(RequestValidationError):
        User.model_validate_json(b"{not json")


def test_dump_leaves_out_write_only_and_adds_computed() -> None:
    u = User.model_validate({"email": "a@b.co", "password": "pw", "nick": "x"})
    assert u.dump() == {"id": 0, "email": "a@b.co", "age": 18, "nick": "x", "domain": "b.co"}
    assert msgspec.json.decode(u.dump_json()) == u.dump()
    assert u.dump(exclude_defaults=True) == {"email": "a@b.co", "nick": "x", "domain": "b.co"}
    assert u.to_dict()["password"] == "pw"


def test_from_model_and_dump_many() -> None:
    u = User.from_model(Account())
    assert (u.id, u.email, u.nickname) == (7, "ann@example.com", "annie")
    assert User.dump_many([Account()]) == [
        {"id": 7, "email": "ann@example.com", "age": 30, "nick": "annie", "domain": "example.com"}
    ]
    assert msgspec.json.decode(User.dump_many_json([Account()]))[0]["domain"] == "example.com"


def test_update_instance_skips_read_only_fields() -> None:
    class Row:
        class _meta:  # noqa: N801 - shaped like a Django model's options
            concrete_fields = [
                type("F", (), {"name": n, "attname": n})() for n in ("id", "email", "password", "age", "nickname")
            ]

        id = 1
        email = "old@x.io"

    row = Row()
    User.model_validate({"email": "new@x.io", "password": "pw", "id": 99}).update_instance(row)
    assert row.email == "new@x.io" and row.id == 1 and row.password == "pw"  # type: ignore[attr-defined]


def test_variants() -> None:
    Public = User.fields("public")
    assert Public.__struct_fields__ == ("id", "email")
    assert User.only("email").dump(Account()) == {"email": "ann@example.com"}
    assert "password" not in User.exclude("password").dump(Account())
    assert User.use("public").dump_many([Account()]) == [{"id": 7, "email": "ann@example.com"}]
    with pytest.raises(BoltConfigError):
        User.subset("nope")
    with pytest.raises(BoltConfigError):
        User.fields("missing")


def test_bad_declarations_fail_at_class_creation() -> None:
    with pytest.raises(BoltConfigError):

        class Bad(Serializer):
            a: int

            @field_validator("b")
            def check(cls, value: Any) -> Any:
                return value

    with pytest.raises(BoltConfigError):
        field(read_only=True, write_only=True)


def test_as_body_and_response_through_the_test_client() -> None:
    api = BoltAPI()

    @api.post("/users")
    async def create(data: User) -> User:
        return data

    @api.get("/users")
    async def listing() -> list[User]:
        return [User.from_model(Account())]

    with TestClient(api) as c:
        r = c.post("/users", json={"email": "Z@Y.io", "password": "secret"})
        assert r.status_code == 200
        assert r.json() == {"id": 0, "email": "z@y.io", "age": 18, "nick": "", "domain": "y.io"}
        r = c.post("/users", json={"email": "admin@y.io", "age": 0})
        assert r.status_code == 422
        assert sorted(e["loc"][-1] for e in r.json()["detail"]) == ["age", "email", "password"]
        assert "password" not in c.get("/users").json()[0]
    doc = build_document(api.routes)
    out = next(v for k, v in doc["components"]["schemas"].items() if k.startswith("UserResponse"))
    assert "password" not in out["properties"] and "domain" in out["properties"]


def test_excluded_fields_and_partial_form() -> None:
    class Doc(Serializer):
        title: str
        internal: str = field(exclude=True, default="x")

        @field_validator("title")
        def not_empty(cls, value: str) -> str:
            if not value:
                raise ValueError("empty")
            return value

        @model_validator()
        def whole(self) -> None:
            # On a partial body the fields not sent are UNSET.
            if self.title is not UNSET and self.title == self.internal:
                raise ValueError("title and internal must differ")

    Patch = Doc.partial()
    p = Patch.model_validate({"internal": "y"})
    assert p.title is msgspec.UNSET and p.to_dict(exclude_unset=True) == {"internal": "y"}
    with pytest.raises(RequestValidationError) as info:
        Patch.model_validate({"title": ""})
    assert [e["loc"] for e in info.value.errors()] == [["body", "title"]]
    with pytest.raises(RequestValidationError) as info:
        Patch.model_validate({"title": "z", "internal": "z"})  # the model validator runs on PATCH too
    assert info.value.errors() == [
        {"type": "value_error", "loc": ["body"], "msg": "title and internal must differ", "input": None}
    ]
    with pytest.raises(RequestValidationError):
        Doc.model_validate({"title": "x"})  # the full form: internal defaults to "x"
    out = Doc.__bolt_output__
    assert "internal" not in out.__struct_fields__


def test_field_options_reach_the_schema() -> None:
    class Old(Serializer):
        x: int = field(deprecated=True, description="old", title="X", examples=[1])

        @computed_field(description="twice x")
        def y(self) -> int:
            return self.x * 2

    props = msgspec.json.schema(Old.__bolt_output__)["$defs"]["OldResponse"]["properties"]
    assert props["x"] == {"description": "old", "title": "X", "examples": [1], "deprecated": True, "type": "integer"}
    assert props["y"] == {"description": "twice x", "type": "integer"}
    assert Old(x=2).dump() == {"x": 2, "y": 4}


def test_unknown_validator_modes_are_start_up_errors() -> None:
    with pytest.raises(BoltConfigError, match="'before' or 'after'"):
        field_validator("email", mode="wrap")
    with pytest.raises(BoltConfigError, match="mode='after'"):
        model_validator(mode="before")


class Order(Serializer):
    id: int = field(read_only=True, default=0)
    code: str
    qty: int = 1
    lines: Annotated[list[Line], Nested(Line, many=True, max_items=2)] = field(default_factory=list)
    note: str = field(default="", include_in_schema=False)

    @field_validator("qty", mode="before")
    def qty_from_text(cls, value: Any) -> Any:
        # before: the raw value (here "3" or " 3 "), converted to int by msgspec afterwards
        return value.strip() if isinstance(value, str) else value

    @field_validator("qty", mode="before")
    def no_words(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.isdigit():
            raise ValueError("qty must be a number")
        return int(value)

    @field_validator("code")
    def upper(cls, value: str) -> str:
        return value.upper()

    @model_validator()
    def not_both(self) -> None:
        if self.id is not UNSET and self.code == "X" and self.qty == 0:
            raise ValueError("no X order of 0")

    @computed_field(include_in_schema=False)
    def twice(self) -> int:
        return self.qty * 2


def test_before_validators_see_the_raw_value_and_errors_are_collected() -> None:
    o = Order.model_validate_json(b'{"code": "ab", "qty": " 3 "}')
    assert (o.code, o.qty) == ("AB", 3)  # before (strip, int) then msgspec, then after (upper)
    assert Order.model_validate({"code": "ab", "qty": "4"}).qty == 4
    with pytest.raises(RequestValidationError) as info:
        Order.model_validate_json(b'{"qty": "three", "lines": [1, 2, 3]}')
    assert sorted((tuple(e["loc"]), e["type"]) for e in info.value.errors()) == [
        (("body", "code"), "missing"),
        (("body", "lines"), "too_long"),
        (("body", "qty"), "value_error"),
    ]
    assert next(e for e in info.value.errors() if e["loc"] == ["body", "qty"])["input"] == "three"
    with pytest.raises(RequestValidationError):
        Order.model_validate_json(b"[1, 2]")
    with pytest.raises(RequestValidationError):
        Order.model_validate_json(b"{nope")
    # an object with attributes goes through the before validators too
    o = Order.model_validate(type("Obj", (), {"code": "cd", "qty": "5"})())
    assert (o.code, o.qty) == ("CD", 5)
    # a PATCH body: before validators only on the fields sent
    Patch = Order.__bolt_input__.partial()
    assert Patch.model_validate({"qty": " 2 "}).qty == 2 and Patch.model_validate({}).qty is UNSET


def test_max_items_limits_request_bodies_not_responses() -> None:
    with pytest.raises(RequestValidationError) as info:
        Order.model_validate({"code": "a", "lines": [{"sku": "1"}, {"sku": "2"}, {"sku": "3"}]})
    assert [e["loc"] for e in info.value.errors()] == [["body", "lines"]]
    assert len(Order.model_validate({"code": "a", "lines": [{"sku": "1"}, {"sku": "2"}]}).lines) == 2
    out = Order.__bolt_output__
    many = msgspec.convert({"code": "a", "lines": [{"sku": str(i)} for i in range(5)]}, out)
    assert len(many.lines) == 5  # a response may hold more
    with pytest.raises(BoltConfigError, match="many=True"):
        Nested(Line, max_items=2)
    with pytest.raises(BoltConfigError, match=">= 0"):
        Nested(Line, many=True, max_items=-1)


def test_request_form_runs_model_validators_with_read_only_fields_unset() -> None:
    form = Order.__bolt_input__
    assert "id" not in form.__struct_fields__
    assert form.model_validate({"code": "x", "qty": 0}).qty == 0  # id is UNSET: the validator passes
    with pytest.raises(RequestValidationError):
        Order.model_validate({"code": "x", "qty": 0})  # the full form has id = 0


def test_hidden_fields_are_left_out_of_the_schema_but_still_work() -> None:
    api = BoltAPI()

    @api.post("/orders")
    async def create(data: Order) -> Order:
        return data

    doc = build_document(api.routes)
    schemas = doc["components"]["schemas"]
    assert "note" not in schemas["Order"]["properties"] and "code" in schemas["Order"]["properties"]
    assert schemas["Order"]["properties"]["lines"]["maxItems"] == 2
    response = next(v for k, v in schemas.items() if k.startswith("OrderResponse"))
    assert set(response["properties"]) == {"id", "code", "qty", "lines"}  # no note, no twice
    with TestClient(api) as c:
        r = c.post("/orders", json={"code": "ab", "qty": "2", "note": "hi"})
        assert r.status_code == 200, r.text
        assert r.json() == {"id": 0, "code": "AB", "qty": 2, "lines": [], "note": "hi", "twice": 4}
        r = c.post("/orders", json={"code": "ab", "lines": [{"sku": "a"}] * 3})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "lines"]
