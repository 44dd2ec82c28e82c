"""The OpenAPI 3.1 document of a set of routes, built once at start-up."""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..exceptions import BoltConfigError
from ._components import Components
from ._parameters import collect_inputs
from ._responses import build_responses
from ._security import operation_security, route_auth
from .config import OpenAPIConfig

if TYPE_CHECKING:
    from .._routing.route import Route

OPENAPI_VERSION = "3.1.0"
_CONVERTER = re.compile(r"\{([^{}:]+):[^{}]*\}")  # {id:int} -> {id}
_NON_WORD = re.compile(r"\W")


def openapi_path(path: str) -> str:
    """A route path in OpenAPI's syntax (converters dropped)."""
    return _CONVERTER.sub(r"{\1}", path)


def documented(routes: Sequence[Route]) -> list[Route]:
    """The routes that appear in the document (``include_in_schema`` is not False)."""
    # QUERY routes are left out: OpenAPI 3.1 has no operation for that method (3.2 adds it).
    return [r for r in routes if r.extra.get("include_in_schema", True) is not False and r.method != "QUERY"]


def build_document(routes: Sequence[Route], config: OpenAPIConfig | None = None) -> dict[str, Any]:
    """The document for ``routes`` (all the served APIs' routes, merged)."""
    config = config or OpenAPIConfig()
    components = Components()
    schemes: dict[str, dict[str, Any]] = {}
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    tags: list[str] = []
    excluded = tuple(config.exclude_paths)
    for route in documented(routes):
        if excluded and route.path.startswith(excluded):
            continue
        try:
            op = _operation(route, components, schemes, operation_ids, config.use_handler_docstrings)
        except (BoltConfigError, ValueError) as exc:
            raise BoltConfigError(f"OpenAPI document, {route.method} {route.path}: {exc}") from exc
        tags.extend(t for t in op.get("tags", []) if t not in tags)
        paths.setdefault(openapi_path(route.path), {})[route.method.lower()] = op
    doc: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": _info(config)}
    if config.servers:
        doc["servers"] = [dict(s) for s in config.servers]
    doc["paths"] = paths
    comp: dict[str, Any] = {}
    if components.schemas:
        comp["schemas"] = dict(sorted(components.schemas.items()))
    if schemes:
        comp["securitySchemes"] = schemes
    for section, given in (config.components or {}).items():  # django-bolt's components=
        comp[section] = {**given, **comp.get(section, {})}
    if comp:
        doc["components"] = comp
    if config.security:
        doc["security"] = [dict(s) for s in config.security]
    if config.external_docs:
        doc["externalDocs"] = config.external_docs
    if config.webhooks:
        doc["webhooks"] = dict(config.webhooks)
    declared = [dict(t) for t in config.tags]
    named = {t.get("name") for t in declared}
    if all_tags := declared + [{"name": t} for t in tags if t not in named]:
        doc["tags"] = all_tags
    return doc


def _info(config: OpenAPIConfig) -> dict[str, Any]:
    info: dict[str, Any] = {"title": config.title, "version": config.version}
    optional = {
        "summary": config.summary,
        "description": config.description,
        "termsOfService": config.terms_of_service,
        "contact": config.contact,
        "license": config.license,
    }
    info.update({k: v for k, v in optional.items() if v})
    return info


def _operation(
    route: Route,
    components: Components,
    schemes: dict[str, dict[str, Any]],
    operation_ids: set[str],
    docstrings: bool = True,
) -> dict[str, Any]:
    extra = route.extra
    op: dict[str, Any] = {}
    if extra.get("tags"):
        op["tags"] = list(extra["tags"])
    op["summary"] = extra.get("summary") or route.name.replace("_", " ").strip().title()
    if description := extra.get("description") or (docstrings and inspect.getdoc(route.handler)):
        op["description"] = description
    op["operationId"] = _operation_id(route, operation_ids)
    inputs = collect_inputs(route.params, components)
    # Query parameters read inside the handler (pagination, filters: django_bolt.pagination
    # and django_bolt.filtering list them on the handler they wrap).
    taken = {p["name"] for p in inputs.parameters if p["in"] == "query"}
    for name, text in getattr(route.handler, "__bolt_query_docs__", ()):
        if name not in taken:
            taken.add(name)
            inputs.parameters.append(
                {"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": text}
            )
            inputs.validated = True
    if inputs.parameters:
        op["parameters"] = inputs.parameters
    if inputs.body is not None:
        op["requestBody"] = inputs.body
    op["responses"] = build_responses(route, components, inputs.validated)
    if extra.get("deprecated"):
        op["deprecated"] = True
    if auths := route_auth(route):
        op["security"] = operation_security(auths, schemes)
    return op


def _operation_id(route: Route, taken: set[str]) -> str:
    """``operation_id=`` or ``{name}{path}_{method}`` with non-word characters as ``_``:
    derived from the route alone, so it does not change when other routes are added."""
    explicit = route.extra.get("operation_id")
    if explicit:
        if explicit in taken:
            raise BoltConfigError(f"operation_id {explicit!r} is used twice")
        taken.add(explicit)
        return str(explicit)
    base = _NON_WORD.sub("_", f"{route.name}{openapi_path(route.path)}") + f"_{route.method.lower()}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate
