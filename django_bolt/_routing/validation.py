"""Turning msgspec and Pydantic errors into 422 entries: ``{"type", "loc", "msg", "input"}``."""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints

import msgspec

_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[([^\]]*)\]")
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")


def _path_to_loc(path: str) -> list[str | int]:
    loc: list[str | int] = []
    for name, index, key in _PATH_PART.findall(path):
        loc.append(int(index) if index else (name or key))
    return loc


def msgspec_error(source: list[str | int], exc: Exception, value: Any = None) -> dict[str, Any]:
    """One error entry from a msgspec ValidationError/DecodeError; ``source`` prefixes loc."""
    if isinstance(exc, UnicodeDecodeError):
        return {"type": "json_invalid", "loc": source, "msg": "Invalid UTF-8 in JSON body", "input": None}
    if isinstance(exc, RecursionError):
        return {"type": "json_invalid", "loc": source, "msg": "JSON body is nested too deeply", "input": None}
    if isinstance(exc, msgspec.DecodeError) and not isinstance(exc, msgspec.ValidationError):
        return {"type": "json_invalid", "loc": source, "msg": str(exc), "input": None}
    m = _AT.match(str(exc))
    msg, path = (m.group("msg"), m.group("path") or "") if m else (str(exc), "")
    loc = source + _path_to_loc(path)
    missing = _MISSING.match(msg)
    if missing:
        return {"type": "missing", "loc": [*loc, missing.group("field")], "msg": "Field required", "input": None}
    return {"type": error_type(msg), "loc": loc, "msg": msg, "input": value}


def pydantic_errors(source: list[str | int], exc: Any) -> list[dict[str, Any]]:
    """Error entries from a pydantic ValidationError."""
    out = []
    for e in exc.errors(include_url=False, include_context=False):
        out.append({"type": e["type"], "loc": [*source, *e["loc"]], "msg": e["msg"], "input": e.get("input")})
    return out


#: What a body decoder can raise for bad input (msgspec has no depth limit of its own).
DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecursionError)


def missing(source: str, name: str) -> dict[str, Any]:
    return {"type": "missing", "loc": [source, name], "msg": "Field required", "input": None}


# ---- every problem of a msgspec body ------------------------------------------------------
#
# msgspec stops at the first problem. When a typed decode fails (only then: the success path
# never comes here), the body is decoded again untyped and walked field by field against
# the type, so the 422 names every problem, each with the value that was sent and a precise
# type, in FastAPI's shape. The walk is bounded: MAX_BODY_ERRORS entries at most.

#: The most entries one 422 lists; a body with more problems reports the first ones.
MAX_BODY_ERRORS = 100

_EXPECTED = re.compile(r"^Expected `(?P<want>[^`]+)`(?:, got `(?P<got>[^`]+)`)?(?P<rest>.*)$", re.S)
_PARSING = {"int": "int", "float": "float", "bool": "bool"}
_SIZED = {"str": "string_too", "array": "too", "object": "too", "bytes": "bytes_too"}
_INVALID = {
    "Invalid UUID": "uuid_parsing",
    "Invalid RFC3339 encoded datetime": "datetime_parsing",
    "Invalid RFC3339 encoded date": "date_parsing",
    "Invalid RFC3339 encoded time": "time_parsing",
    "Invalid decimal": "decimal_parsing",
    "Invalid base64": "bytes_invalid_encoding",
    "Invalid enum value": "enum",
    "Object contains unknown field": "extra_forbidden",
}


def error_type(msg: str, literal: bool = False) -> str:
    """Pydantic's error type for a msgspec message (``Expected `int`, got `str```: int_parsing)."""
    m = _EXPECTED.match(msg)
    if m is None:
        for prefix, kind in _INVALID.items():
            if msg.startswith(prefix):
                return "literal_error" if literal and kind == "enum" else kind
        return "value_error"
    want = m.group("want").split(" | ")[0]
    got, rest = m.group("got"), m.group("rest").strip()
    if got is not None:
        if want in _PARSING:
            return f"{_PARSING[want]}_parsing" if got == "str" else f"{_PARSING[want]}_type"
        return {"str": "string_type", "array": "list_type", "object": "dict_type"}.get(want, f"{want}_type")
    if rest.startswith("of length"):
        return _SIZED.get(want, "too") + ("_short" if ">=" in rest else "_long")
    for op, kind in (
        (">=", "greater_than_equal"),
        ("<=", "less_than_equal"),
        (">", "greater_than"),
        ("<", "less_than"),
    ):
        if rest.startswith(op):
            return kind
    if "multiple of" in rest:
        return "multiple_of"
    if rest.startswith("matching regex"):
        return "string_pattern_mismatch"
    return "value_error"


def body_errors(body: bytes, annotation: Any, first: Exception) -> list[dict[str, Any]]:
    """Every problem of a JSON body that ``annotation``'s msgspec decoder refused with
    ``first``; ``[msgspec_error(first)]`` when the walk finds nothing more precise."""
    fallback = [msgspec_error(["body"], first)]
    if not isinstance(first, msgspec.ValidationError):
        return fallback  # not JSON at all: nothing to walk
    try:
        value = msgspec.json.decode(body)
    except DECODE_ERRORS:
        return fallback
    errors: list[dict[str, Any]] = []
    _walk(value, annotation, ["body"], errors)
    return errors[:MAX_BODY_ERRORS] or fallback


def _walk(value: Any, tp: Any, loc: list[str | int], errors: list[dict[str, Any]]) -> None:
    if len(errors) >= MAX_BODY_ERRORS:
        return
    base = get_args(tp)[0] if get_origin(tp) is Annotated else tp
    origin = get_origin(base)
    fields = _object_fields(base)
    if fields is not None and isinstance(value, dict) and not _constrained(tp):
        for key, field_type, required in fields:
            if key in value:
                _walk(value[key], field_type, [*loc, key], errors)
            elif required:
                errors.append({"type": "missing", "loc": [*loc, key], "msg": "Field required", "input": value})
        if errors:
            return
    elif origin in (list, set, frozenset) and isinstance(value, list) and not _constrained(tp):
        (item_type,) = get_args(base) or (Any,)
        for i, item in enumerate(value):
            _walk(item, item_type, [*loc, i], errors)
        if errors:
            return
    elif origin is dict and isinstance(value, dict) and not _constrained(tp):
        _, value_type = get_args(base) or (Any, Any)
        for key, item in value.items():
            _walk(item, value_type, [*loc, key], errors)
        if errors:
            return
    try:
        msgspec.convert(value, tp)
    except msgspec.ValidationError as exc:
        m = _AT.match(str(exc))
        msg, path = (m.group("msg"), m.group("path") or "") if m else (str(exc), "")
        missing = _MISSING.match(msg)
        if missing:
            errors.append(
                {
                    "type": "missing",
                    "loc": [*loc, *_path_to_loc(path), missing.group("field")],
                    "msg": "Field required",
                    "input": value,
                }
            )
            return
        entry_loc = [*loc, *_path_to_loc(path)]
        errors.append(
            {
                "type": error_type(msg, get_origin(base) is Literal),
                "loc": entry_loc,
                "msg": msg,
                "input": _at(value, _path_to_loc(path)),
            }
        )
    except (TypeError, ValueError) as exc:  # a __post_init__ or an unsupported type
        errors.append({"type": "value_error", "loc": loc, "msg": str(exc), "input": value})


def _constrained(tp: Any) -> bool:
    """An Annotated type with msgspec.Meta constraints is checked as a whole (a list's length)."""
    return get_origin(tp) is Annotated and any(isinstance(m, msgspec.Meta) for m in get_args(tp)[1:])


def _object_fields(tp: Any) -> list[tuple[str, Any, bool]] | None:
    """(JSON key, type, required) of a Struct or dataclass body; None for anything else."""
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return [(f.encode_name, f.type, f.required) for f in msgspec.structs.fields(tp)]
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = get_type_hints(tp, include_extras=True)
        return [
            (
                f.name,
                hints.get(f.name, Any),
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            )
            for f in dataclasses.fields(tp)
            if f.init
        ]
    return None


def _at(value: Any, path: list[str | int]) -> Any:
    """The part of ``value`` at ``path`` (the input of a nested error)."""
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value
