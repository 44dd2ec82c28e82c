"""Strict mode (``bolt_openapi --check``): no operation may describe a declared type as an
untyped ``{"type": "object"}``; a generated client would lose every field of it."""

from __future__ import annotations

from typing import Any

_ANNOTATIONS = {"title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly"}


def _untyped(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "object" and set(schema) - _ANNOTATIONS == {"type"}


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")  # RFC 6901


def _walk(node: Any, where: str, out: list[str]) -> None:
    if _untyped(node):
        out.append(where)
    if isinstance(node, dict):
        for key, value in node.items():
            _walk(value, f"{where}/{_escape(str(key))}", out)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _walk(value, f"{where}/{i}", out)


def untyped_objects(doc: dict[str, Any]) -> list[str]:
    """JSON pointers (``#/paths/...``) to every untyped object schema in operations and
    the components they use."""
    out: list[str] = []
    _walk(doc.get("paths", {}), "#/paths", out)
    _walk(doc.get("components", {}).get("schemas", {}), "#/components/schemas", out)
    return out
