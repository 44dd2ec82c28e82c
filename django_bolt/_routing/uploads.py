"""Binding ``File()`` arguments: the uploads Go parsed, checked against the marker's limits.

Limits map to statuses as django-bolt's do: more files than ``max_files`` or a file over
``max_size`` is 413, a content type outside ``allowed_types`` is 415, a file under
``min_size`` (or a missing one) is 422.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..datastructures import UploadFile
from ..exceptions import HTTPException
from .validation import missing

if TYPE_CHECKING:
    from ..request import RequestData
    from .plans import ArgPlan


def _type_allowed(content_type: str, allowed: tuple[str, ...]) -> bool:
    base = content_type.split(";", 1)[0].strip().lower()
    for pattern in allowed:
        p = pattern.lower()
        if p == base or (p.endswith("/*") and base.startswith(p[:-1])) or p == "*/*":
            return True
    return False


def file_extractor(a: ArgPlan) -> Callable[[RequestData, dict[str, Any], list[dict[str, Any]]], None]:
    name, key, is_list, default, required = a.name, a.key, a.is_list, a.default, a.required
    as_bytes = a.annotation is bytes
    m = a.marker
    max_size = m.max_size if m else None
    min_size = m.min_size if m else None
    allowed = m.allowed_types if m else None
    max_files = m.max_files if m else None

    def extract(data: RequestData, kwargs: dict[str, Any], errors: list[dict[str, Any]]) -> None:
        found: list[UploadFile] = [u for k, u in data.files() if k == key]
        if not found:
            if required:
                errors.append(missing("file", key))
            else:
                kwargs[name] = default
            return
        if max_files is not None and len(found) > max_files:
            raise HTTPException(413, f"Too many files for '{key}' (at most {max_files})")
        if not is_list and len(found) > 1:
            found = found[:1]
        for i, upload in enumerate(found):
            size = upload.size or 0
            if max_size is not None and size > max_size:
                raise HTTPException(413, f"File '{upload.filename}' for '{key}' is larger than {max_size} bytes")
            if allowed is not None and not _type_allowed(upload.content_type, allowed):
                raise HTTPException(
                    415, f"File type '{upload.content_type}' is not allowed for '{key}'; allowed: {', '.join(allowed)}"
                )
            if min_size is not None and size < min_size:
                loc: list[Any] = ["file", key, i] if is_list else ["file", key]
                errors.append(
                    {"type": "too_short", "loc": loc, "msg": f"File must be at least {min_size} bytes", "input": None}
                )
        values: list[Any] = [u.file.read() for u in found] if as_bytes else found
        kwargs[name] = values if is_list else values[0]

    return extract
