"""Every error of a serializer body at once (``Serializer.model_validate*`` after msgspec
stopped at the first): each field converted on its own, then the field validators of the
valid fields. Only runs once a body has failed; a valid body never comes here. Also the
``mode="before"`` field validators, which run on the raw values before any conversion."""

from __future__ import annotations

from typing import Any

import msgspec

from .._routing.validation import msgspec_error

_NODEFAULT: Any = msgspec.NODEFAULT
_REJECT = (ValueError, TypeError, AssertionError)


def _field_info(cls: type) -> list[Any]:
    return list(msgspec.structs.fields(cls))


def json_name(cls: Any, name: str) -> str:
    for i in _field_info(cls):
        if i.name == name:
            return str(i.encode_name)
    return name


def run_before(cls: Any, raw: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]], set[str]]:
    """``raw`` with each ``mode="before"`` validator applied to its field's raw value (the
    fields that are present), the errors they raised, and the names of those fields."""
    data = dict(raw)
    errors: list[dict[str, Any]] = []
    failed: set[str] = set()
    # Speed: JSON names from the Struct's own tuples (msgspec.structs.fields resolves the
    # type hints on every call: ~140 us per body measured).
    keys = dict(zip(cls.__struct_fields__, cls.__struct_encode_fields__, strict=True))
    for name, funcs in cls.__bolt_before_validators__.items():
        key = keys[name]
        if key not in data:
            continue
        value = data[key]
        try:
            for func in funcs:
                value = func(cls, value)
        except _REJECT as exc:
            errors.append({"type": "value_error", "loc": ["body", key], "msg": str(exc), "input": data[key]})
            failed.add(name)
            continue
        data[key] = value
    return data, errors, failed


def all_errors(
    cls: Any, data: Any, first: msgspec.ValidationError | None, skip: set[str] | frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Every error of ``data`` against ``cls``: each field converted on its own (constraint
    errors), then the field validators of the valid ones. Only run after a failure.
    ``skip``: fields already reported (by a before validator)."""
    if not isinstance(data, dict):
        return [msgspec_error(["body"], first)] if first is not None else []
    errors: list[dict[str, Any]] = []
    failed: set[str] = set(skip)
    values: dict[str, Any] = {}
    for info in _field_info(cls):
        if info.name in skip:
            continue
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
        except _REJECT as exc:
            errors.append(
                {"type": "value_error", "loc": ["body", json_name(cls, name)], "msg": str(exc), "input": value}
            )
    if errors or first is None:
        return errors
    return [msgspec_error(["body"], first)]
