"""Turning msgspec and Pydantic errors into 422 entries: ``{"type", "loc", "msg", "input"}``."""

from __future__ import annotations

import re
from typing import Any

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
    return {"type": "value_error", "loc": loc, "msg": msg, "input": value}


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
