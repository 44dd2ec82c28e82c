"""Finding the APIs to serve: each installed app's ``api.py`` plus ``DJANGO_BOLT["API"]``."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps

from .._native.wire import FLAG_HEADERS
from .._routing.conflicts import check_conflicts
from .._routing.route import Route
from ..api import BoltAPI
from ..exceptions import BoltConfigError
from ..health import readiness_api


def _import_object(dotted: str) -> Any:
    module_name, sep, attr = dotted.partition(":")
    if not sep:
        module_name, _, attr = dotted.rpartition(".")
    if not module_name or not attr:
        raise BoltConfigError(f"DJANGO_BOLT['API'] = {dotted!r} is not a dotted path like 'myproject.api.api'")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise BoltConfigError(f"DJANGO_BOLT['API'] = {dotted!r} cannot be imported: {exc}") from exc
    if not isinstance(obj, BoltAPI):
        raise BoltConfigError(f"DJANGO_BOLT['API'] = {dotted!r} is a {type(obj).__name__}, not a BoltAPI")
    return obj


def _apis_in_app(app_module: str) -> list[BoltAPI]:
    name = f"{app_module}.api"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:  # the app simply has no api.py
            return []
        raise
    return [v for v in vars(module).values() if isinstance(v, BoltAPI)]


def discover_apis(extra: str | list[str] | None) -> list[BoltAPI]:
    """APIs of every installed app (in INSTALLED_APPS order), then the configured ones."""
    found: list[BoltAPI] = []
    for app in apps.get_app_configs():
        found.extend(_apis_in_app(app.name))
    for dotted in [extra] if isinstance(extra, str) else (extra or []):
        found.append(_import_object(dotted))
    unique: dict[int, BoltAPI] = {id(a): a for a in found}
    return list(unique.values())


def collect_routes(apis: list[BoltAPI], ready_path: str | None = None) -> list[Route]:
    """All routes of all APIs, plus ``GET ready_path`` running their readiness checks when a
    path is given; two handlers for one method and path is a start-up error."""
    if ready_path:
        apis = [*apis, readiness_api([c for api in apis for c in api.ready_checks], ready_path)]
    routes: list[Route] = []
    check_conflicts(route for api in apis for route in api.routes)
    for api in apis:
        for route in api.routes:
            route.exception_handlers = api.exception_handlers
            route.compression = api.compression
            if api.exception_handlers:  # their handlers get the request, headers included
                route.flags |= FLAG_HEADERS
            routes.append(route)
    if len(routes) > 0xFFFF:
        raise BoltConfigError(f"{len(routes)} routes is more than the 65535 supported")
    return routes
