"""A YAML emitter for JSON data (dicts, lists, strings, numbers, booleans, None).

Block style for structure; every string and key is a double-quoted scalar. JSON string
escapes are valid YAML double-quoted escapes, so quoting with the JSON encoder is exact; the
few characters YAML requires escaped but JSON leaves raw are escaped as well."""

from __future__ import annotations

import json
import re
from typing import Any

# C1 controls, DEL, line/paragraph separators, BOM: YAML 1.2 5.1 (printable characters).
_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def _quote(text: str) -> str:
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = json.dumps(value)
        # YAML 1.1 readers (PyYAML) only take floats with a dot: 1e+100 -> 1.0e+100
        return text.replace("e", ".0e") if "e" in text and "." not in text else text
    if isinstance(value, str):
        return _quote(value)
    if value == {}:
        return "{}"
    if value == []:
        return "[]"
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict) and value:
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                out.append(f"{pad}{_quote(str(key))}:")
                _emit(item, indent + 2, out)
            else:
                out.append(f"{pad}{_quote(str(key))}: {_scalar(item)}")
    elif isinstance(value, list) and value:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                start = len(out)
                _emit(item, indent + 2, out)
                out[start] = f"{pad}- {out[start][indent + 2 :]}"
            else:
                out.append(f"{pad}- {_scalar(item)}")
    else:
        out.append(pad + _scalar(value))


def dump(data: Any) -> str:
    """``data`` as a YAML document."""
    out: list[str] = []
    _emit(data, 0, out)
    return "\n".join(out) + "\n"
