"""The ``components/schemas`` registry: every named model once, under a stable unique name.

Schemas come from the model's own library (``_msgspec_schema``, ``_pydantic_schema``); this
module merges their definitions. Two different models with the same name (``Item`` in two
apps) get ``Item``, ``Item2``... and a model whose response form differs from its request
form gets ``ItemOutput`` for the former: in the order routes were registered, so the names
are stable from one start to the next.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from ..exceptions import BoltConfigError
from . import _msgspec_schema, _pydantic_schema

REF = "#/components/schemas/"
_BAD_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")  # OpenAPI 3.1 component name syntax


class Components:
    """Collects the component schemas of one document."""

    def __init__(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}
        # Start-up time: the same model appears in many routes; describe it once.
        self._seen: dict[tuple[Any, str], dict[str, Any]] = {}

    def schema_for(self, tp: Any, mode: str = "validation") -> dict[str, Any]:
        """The JSON schema of ``tp`` for a request (``validation``) or a response
        (``serialization``); named models become ``$ref`` components."""
        with contextlib.suppress(KeyError, TypeError):  # TypeError: an unhashable annotation
            return self._seen[(tp, mode)]
        out = self._describe(tp, mode)
        with contextlib.suppress(TypeError):
            self._seen[(tp, mode)] = out
        return out

    def _describe(self, tp: Any, mode: str) -> dict[str, Any]:
        try:
            if _pydantic_schema.involves_pydantic(tp):
                schema, defs = _pydantic_schema.schema(tp, mode, REF)
            else:
                schema, defs = _msgspec_schema.schema(tp, REF)
        except (TypeError, ValueError, NameError) as exc:
            raise BoltConfigError(
                f"cannot describe {tp!r} in the OpenAPI document ({exc}); use a type msgspec or "
                "Pydantic can describe, or leave the route out with include_in_schema=False"
            ) from exc
        renames = self._merge(defs, mode)
        return rewrite_refs(schema, renames) if renames else schema

    def _merge(self, defs: dict[str, dict[str, Any]], mode: str) -> dict[str, str]:
        renames: dict[str, str] = {}
        for name, schema in defs.items():
            base = _BAD_NAME_CHARS.sub("_", name)
            target, n = base, 2
            # A model that reads differently than it writes (aliases, defaults): ``UserOutput``.
            if target in self.schemas and self.schemas[target] != schema and mode == "serialization":
                base = target = f"{base}Output"
            while target in self.schemas and self.schemas[target] != schema:
                target, n = f"{base}{n}", n + 1
            if target != name:
                renames[name] = target
        for name, schema in defs.items():
            self.schemas.setdefault(renames.get(name, name), rewrite_refs(schema, renames) if renames else schema)
        return renames


def rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    """A copy of ``node`` with ``$ref`` component names replaced per ``renames``."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith(REF):
                name = v[len(REF) :]
                out[k] = REF + renames.get(name, name)
            else:
                out[k] = rewrite_refs(v, renames)
        return out
    if isinstance(node, list):
        return [rewrite_refs(v, renames) for v in node]
    return node
