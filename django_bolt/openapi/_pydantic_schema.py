"""Schemas of Pydantic v2 models (``model_json_schema``'s machinery) and of any type that
contains one (``list[Model]``, ``Model | None``): msgspec cannot describe those."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from .._routing.plans import is_pydantic_model


def involves_pydantic(tp: Any, _seen: set[int] | None = None) -> bool:
    """Whether ``tp`` is or contains a Pydantic model (in its type arguments or fields)."""
    seen = _seen if _seen is not None else set()
    if id(tp) in seen:
        return False
    seen.add(id(tp))
    if is_pydantic_model(tp):
        return True
    if any(involves_pydantic(a, seen) for a in typing.get_args(tp)):
        return True
    if isinstance(tp, type) and (dataclasses.is_dataclass(tp) or typing.is_typeddict(tp)):
        try:
            hints = typing.get_type_hints(tp)
        except NameError:
            return False
        return any(involves_pydantic(h, seen) for h in hints.values())
    return False


def schema(tp: Any, mode: str, ref_prefix: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(schema of ``tp``, component definitions); a model itself is always a ``$ref``."""
    # Optional: pydantic loads only for apps whose schemas have pydantic models.
    from pydantic import TypeAdapter  # noqa: PLC0415
    from pydantic.json_schema import models_json_schema  # noqa: PLC0415

    template = ref_prefix + "{model}"
    # Requests are validated by alias; responses are written by field name unless the model
    # says serialize_by_alias (pydantic-core's to_json/dump_json default): describe the wire.
    config = getattr(tp, "model_config", None) or {}
    by_alias = mode == "validation" or bool(config.get("serialize_by_alias", False))
    if is_pydantic_model(tp):
        refs, top = models_json_schema([(tp, mode)], by_alias=by_alias, ref_template=template)  # type: ignore[list-item]
        return dict(refs[(tp, mode)]), dict(top.get("$defs", {}))  # type: ignore[index]
    out = TypeAdapter(tp).json_schema(by_alias=by_alias, ref_template=template, mode=mode)  # type: ignore[arg-type]
    defs = out.pop("$defs", {})
    return out, defs
