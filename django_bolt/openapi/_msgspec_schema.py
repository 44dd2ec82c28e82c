"""Schemas of msgspec Structs, dataclasses, TypedDict, Enum, Literal, unions, generics and
scalars, from msgspec's own JSON-schema support (the same types the runtime decodes with)."""

from __future__ import annotations

from typing import Any

import msgspec


def _hook(tp: Any) -> dict[str, Any]:
    if tp is object:  # ``dict[str, object]``: any JSON value, as ``Any``
        return {}
    raise NotImplementedError


def schema(tp: Any, ref_prefix: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(schema of ``tp``, component definitions it refers to)."""
    (out,), defs = msgspec.json.schema_components([tp], schema_hook=_hook, ref_template=ref_prefix + "{name}")
    return out, defs
