"""django-bolt's setting names, read as aliases of our ``DJANGO_BOLT`` keys.

A project moving from django-bolt keeps its ``BOLT_*`` settings working: each one found is
applied to the key it stands for, with one deprecation warning per name and process. A
project that sets both an alias and the key it stands for gets a start-up error (which one
should win is not ours to guess).
"""

from __future__ import annotations

import logging
from typing import Any

from ..exceptions import BoltConfigError

__all__ = ["ALIASES", "IGNORED", "apply_aliases"]

logger = logging.getLogger("django_bolt")

#: django-bolt setting -> our DJANGO_BOLT key.
ALIASES = {
    "BOLT_API": "API",
    "BOLT_MAX_UPLOAD_SIZE": "MAX_BODY_SIZE",
    "BOLT_MEMORY_SPOOL_THRESHOLD": "FILE_UPLOAD_MAX_MEMORY_SIZE",
    "BOLT_MAX_HEADER_SIZE": "MAX_HEADER_BYTES",
    "BOLT_ALLOWED_FILE_PATHS": "FILE_RESPONSE_ROOTS",
    "BOLT_EMIT_SIGNALS": "DJANGO_SIGNALS",
    "BOLT_TRUSTED_PROXIES": "TRUSTED_PROXIES",
    "DJANGO_BOLT_LOG_SAMPLE": "ACCESS_LOG_SAMPLE",
    "DJANGO_BOLT_LOG_SLOW_MS": "ACCESS_LOG_SLOW_MS",
    "BOLT_STATIC_MAX_AGE": "STATIC_MAX_AGE",
    "BOLT_MEDIA_MAX_AGE": "MEDIA_MAX_AGE",
}

#: django-bolt settings with no counterpart here (read elsewhere or not needed): why.
IGNORED = {
    "DJANGO_BOLT_LOG_LEVEL": "set the level of the 'django_bolt' logger in LOGGING instead",
    "BOLT_MAX_SYNC_STREAMING_THREADS": "sync generators run in asgiref's thread pool",
}

_warned: set[str] = set()


def _warn_once(name: str, message: str) -> None:
    if name not in _warned:
        _warned.add(name)
        logger.warning("%s", message)


def _convert(name: str, value: Any) -> Any:
    if name == "BOLT_API" and isinstance(value, (list, tuple)):
        return list(value)
    if name == "BOLT_ALLOWED_FILE_PATHS" and isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return value


def apply_aliases(settings: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` (the ``DJANGO_BOLT`` dict) with the django-bolt settings of ``settings`` applied."""
    out = dict(raw)
    for name, key in ALIASES.items():
        if not hasattr(settings, name):
            continue
        if key in raw:
            raise BoltConfigError(
                f"settings.{name} (django-bolt's name) and DJANGO_BOLT[{key!r}] are both set; "
                f"keep only DJANGO_BOLT[{key!r}]"
            )
        out[key] = _convert(name, getattr(settings, name))
        _warn_once(name, f"settings.{name} is django-bolt's name for DJANGO_BOLT[{key!r}]; it still works, but move it")
    for name, why in IGNORED.items():
        if hasattr(settings, name):
            _warn_once(name, f"settings.{name} is ignored by django-bolt-go: {why}")
    return out
