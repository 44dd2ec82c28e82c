"""The process's one JSON encoder (msgspec, with a hook for Pydantic models) and ``RawJSON``
for bytes that already are JSON. Low in the import graph: ``responses`` uses it too."""

from __future__ import annotations

from typing import Any

import msgspec


class RawJSON(bytes):
    """Bytes that already are JSON (e.g. produced by pydantic-core)."""


def _enc_hook(obj: Any) -> Any:
    """Types msgspec does not know natively (called only for those)."""
    dump = getattr(obj, "model_dump", None)
    if dump is not None and hasattr(type(obj), "__pydantic_serializer__"):
        return dump(mode="json")
    raise NotImplementedError(f"objects of type {type(obj).__name__} are not JSON serialisable")


# One encoder for the process: msgspec reuses its internal buffer between calls.
json_encode = msgspec.json.Encoder(enc_hook=_enc_hook).encode
