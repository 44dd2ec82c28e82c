"""OpenAPI document: golden output for tricky types, validity, YAML, config and strict mode
(no native library: the document is built from the registered routes alone)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml
from openapi_spec_validator import validate

from django_bolt import BoltAPI, UploadFile
from django_bolt._routing.plans import ArgPlan
from django_bolt.exceptions import BoltConfigError
from django_bolt.openapi import OpenAPIConfig, build_document, untyped_objects
from django_bolt.openapi._yaml import dump
from django_bolt.param_functions import File, Form
from django_bolt.responses import EventSourceResponse

from . import openapi_api

GOLDEN = Path(__file__).parent / "golden" / "openapi_tricky.json"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return build_document(openapi_api.api.routes, OpenAPIConfig(title="Tricky", version="9"))


def test_tricky_types_match_golden(doc: dict[str, Any]) -> None:
    text = json.dumps(doc, indent=2, sort_keys=False) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert json.loads(GOLDEN.read_text()) == doc, "run with UPDATE_GOLDEN=1 and review the diff"


def test_document_is_valid_openapi_31(doc: dict[str, Any]) -> None:
    validate(doc)
    assert doc["openapi"] == "3.1.0" and doc["info"] == {"title": "Tricky", "version": "9"}


def schemas(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]


def test_generic_recursive_enum_and_camel_case(doc: dict[str, Any]) -> None:
    s = schemas(doc)
    assert doc["paths"]["/users"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Page_UserOut_"
    }
    assert s["Page_UserOut_"]["properties"]["items"]["items"] == {"$ref": "#/components/schemas/UserOut"}
    assert s["Page_UserOut_"]["properties"]["total"]["minimum"] == 0
    assert set(s["UserOut"]["properties"]) == {"userId", "displayName", "address", "color"}
    assert s["UserOut"]["properties"]["color"] == {"$ref": "#/components/schemas/Color", "default": "red"}
    assert sorted(s["Color"]["enum"]) == ["blue", "red"]
    assert s["TreeNode"]["properties"]["children"]["items"] == {"$ref": "#/components/schemas/TreeNode"}
    assert s["Address"]["properties"]["city"] == {"type": "string", "minLength": 1, "maxLength": 80}


def test_parameters_every_source_with_constraints(doc: dict[str, Any]) -> None:
    params = {p["name"]: p for p in doc["paths"]["/users"]["get"]["parameters"]}
    assert params["page"] == {
        "name": "page",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "default": 1},
        "description": "page number",
    }
    assert params["x-trace"]["in"] == "header" and params["x-trace"]["required"] is False
    assert params["session"] == {
        "name": "session",
        "in": "cookie",
        "required": False,
        "schema": {"type": "string", "default": "anon"},
    }
    path = doc["paths"]["/users/{user_id}"]["get"]["parameters"][0]
    assert path == {
        "name": "user_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "exclusiveMinimum": 0},
    }


def test_parameter_model_expanded_as_bound(doc: dict[str, Any]) -> None:
    op = doc["paths"]["/search"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert params["status"]["schema"] == {"enum": ["closed", "open"], "default": "open"}
    assert params["ids"]["schema"]["type"] == "array" and params["ids"]["explode"] is True
    assert params["kind"]["schema"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]
    assert op["operationId"] == "search_things" and op["deprecated"] is True


def test_bodies_json_embedded_and_form(doc: dict[str, Any]) -> None:
    post = doc["paths"]["/posts"]["post"]["requestBody"]
    assert post == {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Post"}}},
        "required": True,
    }
    tag = schemas(doc)["Tag"]["properties"]["label"]
    assert tag["maxLength"] == 20 and tag["pattern"] == "^[a-z]+$" and tag["examples"] == ["blue"]
    embedded = doc["paths"]["/points"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert embedded["required"] == ["point", "options"]
    assert embedded["properties"]["options"] == {"$ref": "#/components/schemas/Options"}
    form = doc["paths"]["/login"]["post"]["requestBody"]
    assert list(form["content"]) == ["application/x-www-form-urlencoded"]
    assert form["content"]["application/x-www-form-urlencoded"]["schema"]["required"] == ["username", "password"]


def test_files_are_multipart_binary() -> None:
    api = BoltAPI()
    route = api.add_route("POST", "/upload", _noop)
    # File() routes are refused at registration until multipart lands; the document side is
    # ready for the plans they will have.
    route.params = [
        ArgPlan("doc", "file", "doc", bytes, ..., marker=File()),
        ArgPlan("many", "file", "many", list[bytes], None, is_list=True, marker=File()),
        ArgPlan("note", "form", "note", str, ...),
    ]
    body = build_document(api.routes)["paths"]["/upload"]["post"]["requestBody"]
    schema = body["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["doc"] == {"type": "string", "format": "binary"}
    assert schema["properties"]["many"] == {"type": "array", "items": {"type": "string", "format": "binary"}}
    assert schema["required"] == ["doc", "note"]


async def _noop() -> None:
    return None


def test_per_status_declared_errors_and_422(doc: dict[str, Any]) -> None:
    responses = doc["paths"]["/users/{user_id}"]["get"]["responses"]
    assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/UserOut"}
    assert responses["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/HTTPError"}
    assert responses["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"
    }
    post = doc["paths"]["/posts"]["post"]["responses"]
    assert set(post) == {"201", "409", "400", "422"} and post["400"]["description"] == "bad post"
    assert "422" not in doc["paths"]["/tree"]["get"]["responses"]  # nothing to validate
    assert schemas(doc)["ValidationError"]["required"] == ["type", "loc", "msg", "input"]


def test_response_classes_use_their_media_types(doc: dict[str, Any]) -> None:
    p = doc["paths"]
    assert list(p["/page"]["get"]["responses"]["200"]["content"]) == ["text/html"]
    assert list(p["/text"]["get"]["responses"]["200"]["content"]) == ["text/plain"]
    assert p["/go"]["get"]["responses"]["307"]["headers"]["Location"]["schema"]["type"] == "string"
    binary = p["/download"]["get"]["responses"]["200"]["content"]["application/octet-stream"]["schema"]
    assert binary == {"type": "string", "format": "binary"}


def test_tags_summary_description_and_hidden(doc: dict[str, Any]) -> None:
    op = doc["paths"]["/users"]["get"]
    assert op["tags"] == ["users"] and op["summary"] == "List Users"
    assert op["description"] == "List users.\n\nOne page at a time."
    assert "/hidden" not in doc["paths"]
    assert doc["tags"] == [{"name": "users"}]
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids)) and "list_users_users_get" in ids


def test_same_name_models_get_unique_stable_names() -> None:
    first = msgspec.defstruct("Item", [("a", int)])
    second = msgspec.defstruct("Item", [("b", str)])
    api = BoltAPI()

    async def one(item):  # type: ignore[no-untyped-def]
        return None

    async def two(item):  # type: ignore[no-untyped-def]
        return None

    one.__annotations__ = {"item": first}  # built at run time: no module-level name to resolve
    two.__annotations__ = {"item": second}

    api.add_route("POST", "/one", one)
    api.add_route("POST", "/two", two)
    s = build_document(api.routes)["components"]["schemas"]
    assert set(s["Item"]["properties"]) == {"a"} and set(s["Item2"]["properties"]) == {"b"}


def test_strict_mode_finds_untyped_objects() -> None:
    api = BoltAPI()

    async def loose(data: dict) -> dict:  # type: ignore[type-arg]
        return data

    api.add_route("POST", "/loose", loose)
    found = untyped_objects(build_document(api.routes))
    assert "#/paths/~1loose/post/requestBody/content/application~1json/schema" in found


def test_yaml_matches_json(doc: dict[str, Any]) -> None:
    assert yaml.safe_load(dump(doc)) == doc
    tricky = {"a": ["x\u2028y", "\x85", 'q"uote', "", 1.5e100, -0.0, None, True, {}, [], [[1, [2]]], {"k": {"n": {}}}]}
    assert yaml.safe_load(dump(tricky)) == tricky


def test_config_validation() -> None:
    with pytest.raises(BoltConfigError, match="plain path"):
        OpenAPIConfig(path="docs")
    with pytest.raises(BoltConfigError, match="uis"):
        OpenAPIConfig(uis=("swagger", "rapi-doc"))
    with pytest.raises(BoltConfigError, match="OpenAPIConfig"):
        BoltAPI(openapi_config={"title": "x"})  # type: ignore[arg-type]


class TokenAuth:
    """An auth backend that describes its own scheme."""

    def openapi_security_scheme(self) -> tuple[str, dict[str, Any]]:
        return "Token", {"type": "apiKey", "in": "header", "name": "X-Token"}


def test_security_schemes_per_operation() -> None:
    from django_bolt.auth import APIKeyAuthentication, JWTAuthentication, SessionAuthentication

    api = BoltAPI()
    jwt = JWTAuthentication(secret="s" * 32)
    api.add_route("GET", "/me", _noop, auth=[jwt, APIKeyAuthentication(api_keys={"k"})])
    api.add_route("GET", "/custom", _noop).extra["auth"] = [TokenAuth()]
    api.add_route("GET", "/session", _noop, auth=[SessionAuthentication()])
    api.add_route("GET", "/open", _noop)
    doc = build_document(api.routes)
    validate(doc)
    assert doc["paths"]["/me"]["get"]["security"] == [{"BearerAuth": []}, {"APIKey_x-api-key": []}]
    assert doc["paths"]["/custom"]["get"]["security"] == [{"Token": []}]
    assert doc["paths"]["/session"]["get"]["security"] == [{"SessionAuth": []}]
    assert "security" not in doc["paths"]["/open"]["get"]
    assert doc["components"]["securitySchemes"] == {
        "BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "APIKey_x-api-key": {"type": "apiKey", "in": "header", "name": "x-api-key"},
        "Token": {"type": "apiKey", "in": "header", "name": "X-Token"},
        "SessionAuth": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
    }


def test_pydantic_aliases_and_output_mode() -> None:
    from pydantic import BaseModel, Field

    class Account(BaseModel):
        user_name: str = Field(alias="userName")
        nick: str | None = None

    api = BoltAPI()

    async def make(account: Account) -> Account:
        return account

    make.__annotations__ = {"account": Account, "return": Account}
    api.add_route("POST", "/accounts", make)
    doc = build_document(api.routes)
    validate(doc)
    props = doc["components"]["schemas"]["Account"]["properties"]
    assert "userName" in props and "user_name" not in props
    body = doc["paths"]["/accounts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Account"}
    # Responses are written by field name (pydantic-core's default), so they read differently.
    out = doc["paths"]["/accounts"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert out == {"$ref": "#/components/schemas/AccountOutput"}
    assert "user_name" in doc["components"]["schemas"]["AccountOutput"]["properties"]


def test_streams_sse_and_uploads_are_documented() -> None:
    api = BoltAPI()

    @api.post("/up")
    async def up(file: UploadFile = File(), note: str = Form()) -> dict[str, int]:
        return {"n": 1}

    @api.get("/events", response_class=EventSourceResponse)
    async def events() -> Any:
        yield {"data": "x"}

    doc = build_document(api.routes)
    validate(doc)
    body = doc["paths"]["/up"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["properties"]["file"] == {"type": "string", "format": "binary"}
    assert body["required"] == ["file", "note"]
    assert list(doc["paths"]["/events"]["get"]["responses"]["200"]["content"]) == ["text/event-stream"]
