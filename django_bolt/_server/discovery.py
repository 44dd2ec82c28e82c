"""Finding the APIs to serve: each installed app's ``api.py`` plus ``DJANGO_BOLT["API"]``."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from django.apps import apps
from django.conf import settings

from .._native.wire import FLAG_HEADERS
from .._routing.conflicts import check_conflicts
from .._routing.middleware import FUNC_ATTR, wrap_route
from .._routing.route import Route
from ..api import BoltAPI
from ..compression import resolve as resolve_compression
from ..exceptions import BoltConfigError
from ..health import readiness_api

logger = logging.getLogger("django_bolt")


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


def _apis_in(name: str) -> list[BoltAPI]:
    """The BoltAPI objects of module ``name``; none when there is no such module."""
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):  # no such module (or package)
            return []
        raise
    return [v for v in vars(module).values() if isinstance(v, BoltAPI)]


def _apis_in_app(app_module: str) -> list[BoltAPI]:
    # api.py, and bolt_api.py as django-bolt also looks for
    return [*_apis_in(f"{app_module}.api"), *_apis_in(f"{app_module}.bolt_api")]


def _project_package() -> str | None:
    """The project package, from ROOT_URLCONF ("myproject.urls" -> "myproject")."""
    urlconf = getattr(settings, "ROOT_URLCONF", None) if settings.configured else None
    return urlconf.split(".")[0] if isinstance(urlconf, str) and "." in urlconf else None


def discover_apis(extra: str | list[str] | None) -> list[BoltAPI]:
    """APIs of the project package (``<project>/api.py`` or ``bolt_api.py``, as django-bolt
    finds them), of every installed app (in INSTALLED_APPS order; an ``AppConfig.bolt_api``
    dotted path names one explicitly), then the configured ones."""
    found: list[BoltAPI] = []
    project = _project_package()
    app_names = {app.name for app in apps.get_app_configs()}
    if project and project not in app_names:
        found.extend(_apis_in_app(project))
    for app in apps.get_app_configs():
        hint = getattr(app, "bolt_api", None)
        if isinstance(hint, str):
            found.append(_import_object(hint))
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
    # django-bolt's settings.BOLT_COMPRESSION: one policy for every API, over theirs.
    given = settings.configured and hasattr(settings, "BOLT_COMPRESSION")
    server_wide = resolve_compression(getattr(settings, "BOLT_COMPRESSION", None)) if given else None
    check_conflicts(route for api in apis for route in api.all_routes())
    for api in apis:
        for route in api.all_routes():
            route.exception_handlers = api.exception_handlers
            route.compression = server_wide if given else api.compression
            if api.exception_handlers:  # their handlers get the request, headers included
                route.flags |= FLAG_HEADERS
            # Python middleware: the API's, the routers', the handler's own (outermost first);
            # compiled here once, and only for routes that have some.
            entries = [*api.api_middleware, *route.middleware, *getattr(route.handler, FUNC_ATTR, ())]
            routes.append(wrap_route(route, entries) if entries else route)
    legacy = sum(1 for r in routes if r.extra.get("legacy_sync"))
    if legacy:
        logger.warning(
            'DJANGO_BOLT["SYNC_HANDLERS"] = "thread": %d plain `def` handler(s) run in a thread pool; '
            "make them `async def` to serve them on the event loop",
            legacy,
        )
    if len(routes) > 0xFFFF:
        raise BoltConfigError(f"{len(routes)} routes is more than the 65535 supported")
    return routes
