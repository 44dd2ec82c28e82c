"""Parameters and request bodies of one operation, read from the route's ArgPlans: the very
plans the runtime binds requests with, so the document cannot drift from what is accepted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from .._routing.plans import ArgPlan, constrained_type, list_item, strip_optional
from ..params import REQUIRED
from ._components import REF, Components

_BINARY = {"type": "string", "format": "binary"}


@dataclass
class Inputs:
    """What an operation reads from the request."""

    parameters: list[dict[str, Any]] = field(default_factory=list)
    body: dict[str, Any] | None = None  # the requestBody object
    validated: bool = False  # whether a 422 is possible


def collect_inputs(plans: list[ArgPlan], components: Components) -> Inputs:
    flat = list(_flatten(plans))
    out = Inputs(validated=any(p.source not in ("request", "depends", "background") for p in flat))
    seen: set[tuple[str, str]] = set()
    for plan in flat:
        if plan.source in ("path", "query", "header", "cookie"):
            for param in _parameters(plan, components):
                if (param["in"], param["name"]) not in seen:
                    seen.add((param["in"], param["name"]))
                    out.parameters.append(param)
    out.body = _request_body(flat, components)
    return out


def _flatten(plans: list[ArgPlan]) -> Any:
    """Every plan, dependencies' own arguments included (the runtime binds them all)."""
    for plan in plans:
        if plan.dependency is not None:
            yield from _flatten(plan.dependency.args)
        else:
            yield plan


def _annotated_schema(plan: ArgPlan, tp: Any, components: Components) -> dict[str, Any]:
    schema = components.schema_for(constrained_type(tp, plan.marker))
    marker = plan.marker
    if marker is not None and marker.example is not None:
        schema = {**schema, "examples": [_jsonable(marker.example)]}
    if plan.default is not REQUIRED and plan.default is not None and (value := _jsonable(plan.default)) is not None:
        schema = {**schema, "default": value}
    return schema


def _parameters(plan: ArgPlan, components: Components) -> list[dict[str, Any]]:
    where = plan.source
    if plan.fields is not None:  # a parameter model: one parameter per field, as bound
        props, required = model_properties(plan.annotation, components)
        return [
            {
                "name": key,
                "in": where,
                "required": plan.required and name in required,
                "schema": props.get(name, {}),
                **({"style": "form", "explode": True} if is_list and where == "query" else {}),
            }
            for name, key, is_list in plan.fields
        ]
    param: dict[str, Any] = {
        "name": plan.key,
        "in": where,
        "required": where == "path" or plan.required,
        "schema": _annotated_schema(plan, plan.annotation, components),
    }
    if plan.marker is not None:
        if plan.marker.description:
            param["description"] = plan.marker.description
        if plan.marker.deprecated:
            param["deprecated"] = True
    if plan.is_list and where == "query":
        param["style"], param["explode"] = "form", True  # ?ids=1&ids=2
    return [param]


def model_properties(model: Any, components: Components) -> tuple[dict[str, Any], set[str]]:
    """(field name -> schema, required field names) of a model, keyed like ``model_fields``."""
    ref = components.schema_for(model)
    body = components.schemas.get(ref.get("$ref", "")[len(REF) :], ref)
    props: dict[str, Any] = dict(body.get("properties", {}))
    required = set(body.get("required", []))
    aliases = {
        f.alias: n for n, f in getattr(model, "model_fields", {}).items() if getattr(f, "alias", None)
    }  # Pydantic: the schema is keyed by alias, the runtime by field name
    for alias, name in aliases.items():
        if alias in props:
            props[name] = props.pop(alias)
            if alias in required:
                required.discard(alias)
                required.add(name)
    return props, required


def _request_body(plans: list[ArgPlan], components: Components) -> dict[str, Any] | None:
    bodies = [p for p in plans if p.source == "body"]
    forms = [p for p in plans if p.source in ("form", "file")]
    if bodies:
        if len(bodies) == 1 and not bodies[0].embed:
            only = bodies[0]
            media = {"schema": components.schema_for(only.annotation)}
            return _body_object("application/json", media, only.required and not _optional(only), only)
        props = {p.key: components.schema_for(p.annotation) for p in bodies}
        required = [p.key for p in bodies if p.required]
        return _body_object("application/json", {"schema": _object(props, required)}, bool(required), None)
    if forms:
        props, required = {}, []
        for plan in forms:
            if plan.fields is not None:
                fields, req = model_properties(plan.annotation, components)
                for name, key, _ in plan.fields:
                    props[key] = fields.get(name, {})
                    if plan.required and name in req:
                        required.append(key)
                continue
            props[plan.key] = (
                _file_schema(plan) if plan.source == "file" else _annotated_schema(plan, plan.annotation, components)
            )
            if plan.required:
                required.append(plan.key)
        media_type = (
            "multipart/form-data" if any(p.source == "file" for p in forms) else ("application/x-www-form-urlencoded")
        )
        return _body_object(media_type, {"schema": _object(props, required)}, bool(required), None)
    return None


def _file_schema(plan: ArgPlan) -> dict[str, Any]:
    inner, _ = strip_optional(plan.annotation)
    if plan.is_list or list_item(inner) is not None:
        return {"type": "array", "items": dict(_BINARY)}
    return dict(_BINARY)


def _object(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


def _body_object(media_type: str, media: dict[str, Any], required: bool, plan: ArgPlan | None) -> dict[str, Any]:
    out: dict[str, Any] = {"content": {media_type: media}, "required": required}
    if plan is not None and plan.marker is not None:
        if plan.marker.description:
            out["description"] = plan.marker.description
        if plan.marker.example is not None:
            media["example"] = _jsonable(plan.marker.example)
    return out


def _optional(plan: ArgPlan) -> bool:
    return strip_optional(plan.annotation)[1]


def _jsonable(value: Any) -> Any:
    """``value`` as JSON data, or None when it has no JSON form."""
    try:
        return msgspec.to_builtins(value)
    except (TypeError, ValueError):
        return None
