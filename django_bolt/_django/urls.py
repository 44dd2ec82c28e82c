"""Named Django URL patterns for API routes (``django_bolt.urls`` serves them)."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, HttpResponseNotFound
from django.urls import URLPattern, path

from .._native.wire import FLAG_ASGI
from .._routing.route import Route
from .._server.discovery import collect_routes, discover_apis
from ..conf import load_settings

__all__ = ["bolt_urlpatterns", "django_path"]

_PARAM = re.compile(r"\{([^{}:]+)(?::([^{}]*))?\}")
_CONVERTERS = {None: "str", "": "str", "str": "str", "int": "int", "path": "path", "uuid": "uuid", "slug": "slug"}


def django_path(route_path: str) -> str | None:
    """``/items/{id:int}`` -> ``items/<int:id>``; None when a converter has no Django twin."""
    unknown = False

    def convert(m: re.Match[str]) -> str:
        nonlocal unknown
        conv = _CONVERTERS.get(m.group(2))
        if conv is None:
            unknown = True
            return ""
        return f"<{conv}:{m.group(1)}>"

    out = _PARAM.sub(convert, route_path.lstrip("/"))
    return None if unknown else out


def _unreachable(request: HttpRequest, **kwargs: Any) -> HttpResponseNotFound:
    return HttpResponseNotFound()


def bolt_urlpatterns(routes: list[Route] | None = None) -> list[URLPattern]:
    """One named pattern per API route (per name and path)."""
    if routes is None:
        routes = collect_routes(discover_apis(load_settings().API))
    seen: set[tuple[str, str]] = set()
    out = []
    for route in routes:
        if route.flags & FLAG_ASGI:  # mounted apps are not API routes
            continue
        pattern = django_path(route.path)
        if pattern is None or not route.name or (route.name, pattern) in seen:
            continue
        seen.add((route.name, pattern))
        out.append(path(pattern, _unreachable, name=route.name))
    return out
