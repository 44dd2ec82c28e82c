"""The serializers' N+1 guard: in DEBUG (or with ``BOLT_N_PLUS_ONE_WARNINGS``), a list
response whose items load a nested relation one query each logs a warning naming the field
and the QuerySet call that fixes it, once per (serializer, field). It reads Django's
relation caches BEFORE the field is read, so a preloaded relation costs one dict lookup."""

from __future__ import annotations

import contextvars
import logging
from typing import Any

from django.conf import settings

logger = logging.getLogger("django_bolt")
listing: contextvars.ContextVar[bool] = contextvars.ContextVar("bolt_serializer_listing", default=False)
_warned: set[tuple[type, str]] = set()


def guard_enabled() -> bool:
    """``BOLT_N_PLUS_ONE_WARNINGS`` if set, else ``DEBUG``."""
    if not settings.configured:
        return False
    return bool(getattr(settings, "BOLT_N_PLUS_ONE_WARNINGS", settings.DEBUG))


def check_preloaded(cls: type, instance: Any, name: str, many: bool) -> None:
    if (cls, name) in _warned or "." in name:
        return
    meta = getattr(instance, "_meta", None)
    if meta is None:
        return
    if many:
        loaded = name in (getattr(instance, "_prefetched_objects_cache", None) or {})
        fix = f".prefetch_related({name!r})"
    else:
        try:
            is_cached = getattr(meta.get_field(name), "is_cached", None)
        except Exception:  # not a model field (a property...): nothing to say
            return
        if is_cached is None:
            return
        loaded = bool(is_cached(instance))
        fix = f".select_related({name!r})"
    if not loaded:
        _warned.add((cls, name))
        logger.warning(
            "N+1 queries: %s.%s loads '%s' with one query per item of a list response; add %s to the QuerySet",
            cls.__module__,
            cls.__qualname__,
            name,
            fix,
        )
