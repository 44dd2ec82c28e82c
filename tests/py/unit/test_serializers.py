"""Serializers without a database: validation, forms, dumping, variants; and as bodies and
responses through the in-process TestClient. Model-backed behaviour: tests/py/e2e/test_views_db.py."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from django_bolt import BoltAPI, BoltConfigError, RequestValidationError
from django_bolt.openapi.document import build_document
from django_bolt.serializers import (
    Email,
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
            raise ValueError("model validators do not run on partial bodies")

    Patch = Doc.partial()
    p = Patch.model_validate({"internal": "y"})
    assert p.title is msgspec.UNSET and p.to_dict(exclude_unset=True) == {"internal": "y"}
    with pytest.raises(RequestValidationError) as info:
        Patch.model_validate({"title": ""})
    assert [e["loc"] for e in info.value.errors()] == [["body", "title"]]
    with pytest.raises(RequestValidationError):
        Doc.model_validate({"title": "t"})  # the full form runs the model validator
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


def test_only_after_validators_are_supported() -> None:
    """docs/serializers.md, "Not done yet": mode="before" is a start-up error, not ignored."""
    with pytest.raises(BoltConfigError, match="mode='after'"):
        field_validator("email", mode="before")
    with pytest.raises(BoltConfigError, match="mode='after'"):
        model_validator(mode="before")
