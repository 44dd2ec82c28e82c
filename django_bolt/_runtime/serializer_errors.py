"""Every error of a serializer body at once (``Serializer.model_validate*`` after msgspec
stopped at the first): each field converted on its own, then the field validators of the
valid fields. Only runs once a body has failed; a valid body never comes here."""

from __future__ import annotations

from typing import Any

import msgspec

from .._routing.validation import msgspec_error

_NODEFAULT: Any = msgspec.NODEFAULT


def _field_info(cls: type) -> list[Any]:
    return list(msgspec.structs.fields(cls))


def json_name(cls: Any, name: str) -> str:
    for i in _field_info(cls):
        if i.name == name:
            return str(i.encode_name)
    return name


def all_errors(cls: Any, data: Any, first: msgspec.ValidationError) -> list[dict[str, Any]]:
    """Every error of ``data`` against ``cls``: each field converted on its own (constraint
    errors), then the field validators of the valid ones. Only run after a failure."""
    if not isinstance(data, dict):
        return [msgspec_error(["body"], first)]
    errors: list[dict[str, Any]] = []
    failed: set[str] = set()
    values: dict[str, Any] = {}
    for info in _field_info(cls):
        key = info.encode_name
        if key not in data:
            if info.default is _NODEFAULT and info.default_factory is _NODEFAULT:
                errors.append({"type": "missing", "loc": ["body", key], "msg": "Field required", "input": None})
                failed.add(info.name)
            continue
        try:
            values[info.name] = msgspec.convert(data[key], info.type, strict=False)
        except msgspec.ValidationError as exc:
            errors.append(msgspec_error(["body", key], exc, data[key]))
            failed.add(info.name)
    validators = cls.__bolt_field_validators__
    for name, funcs in validators.items():
        if name in failed or name not in values:
            continue
        value = values[name]
        try:
            for func in funcs:
                value = func(cls, value)
        except (ValueError, TypeError, AssertionError) as exc:
            errors.append(
                {"type": "value_error", "loc": ["body", json_name(cls, name)], "msg": str(exc), "input": value}
            )
    return errors or [msgspec_error(["body"], first)]
