"""Schemas of msgspec Structs, dataclasses, TypedDict, Enum, Literal, unions, generics and
scalars, from msgspec's own JSON-schema support (the same types the runtime decodes with)."""

from __future__ import annotations

from typing import Any

import msgspec
import msgspec.inspect as mi


def _hook(tp: Any) -> dict[str, Any]:
    if tp is object:  # ``dict[str, object]``: any JSON value, as ``Any``
        return {}
    raise NotImplementedError


def schema(tp: Any, ref_prefix: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(schema of ``tp``, component definitions it refers to)."""
    (out,), defs = msgspec.json.schema_components([tp], schema_hook=_hook, ref_template=ref_prefix + "{name}")
    hidden = _hidden_fields(tp)
    if hidden:
        _strip(defs, hidden)
    return out, defs


def _hidden_fields(tp: Any) -> dict[type, tuple[frozenset[str], frozenset[str]]]:
    """Each Struct in ``tp`` that hides fields from the schema (a Serializer's
    ``field(include_in_schema=False)``): {class: (hidden JSON names, all JSON names)}."""
    found: dict[type, tuple[frozenset[str], frozenset[str]]] = {}
    seen: set[int] = set()

    def walk(t: Any) -> None:
        if id(t) in seen:
            return
        seen.add(id(t))
        if isinstance(t, mi.StructType):
            hidden = getattr(t.cls, "__bolt_schema_hidden__", None)
            if hidden:
                found[t.cls] = (frozenset(hidden), frozenset(f.encode_name for f in t.fields))
            for f in t.fields:
                walk(f.type)
        elif isinstance(t, (mi.TypedDictType, mi.DataclassType, mi.NamedTupleType)):
            for f in t.fields:
                walk(f.type)
        elif isinstance(t, mi.Metadata):
            walk(t.type)
        elif isinstance(t, mi.CollectionType):
            walk(t.item_type)
        elif isinstance(t, mi.TupleType):
            for item in t.item_types:
                walk(item)
        elif isinstance(t, (mi.DictType, mi.FrozenDictType)):
            walk(t.key_type)
            walk(t.value_type)
        elif isinstance(t, mi.UnionType):
            for item in t.types:
                walk(item)

    try:
        walk(mi.type_info(tp))
    except (TypeError, ValueError):  # a type msgspec.inspect cannot read: nothing to hide
        return {}
    return found


def _strip(defs: dict[str, dict[str, Any]], hidden: dict[type, tuple[frozenset[str], frozenset[str]]]) -> None:
    """Remove the hidden properties from the components of those Structs (matched by
    title and by their exact set of properties)."""
    for definition in defs.values():
        props = definition.get("properties")
        if not isinstance(props, dict):
            continue
        for cls, (names, all_names) in hidden.items():
            if definition.get("title") != cls.__name__ or set(props) != all_names:
                continue
            for name in names:
                props.pop(name, None)
            if "required" in definition:
                definition["required"] = [r for r in definition["required"] if r not in names]
