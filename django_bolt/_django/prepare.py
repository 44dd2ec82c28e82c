"""The rest of Django under ``runbolt``, set up once at start-up: the fallback to Django's
ASGI handler, STATIC_URL served by Go, sessions and CSRF for handlers that take the
request, ``django_middleware`` and the request_started/request_finished signals.

``prepare`` returns the routes to serve (the fallback route last) and the extra sections of
the Go configuration; nothing here runs for a route that does not use it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.signals import request_finished, request_started

from .._native.wire import FLAG_ASGI, FLAG_WEBSOCKET
from .._routing.route import Route
from .._runtime.encoding import Prepared, encode_result, header_block
from ..api import BoltAPI
from ..conf import BoltSettings
from ..exceptions import BoltConfigError
from ..responses import Response
from .asgi import FALLBACK_METHOD, asgi_endpoint, asgi_route
from .middleware import resolve_spec, wrap_route
from .session import response_cookies, sessions_installed

logger = logging.getLogger("django_bolt")

#: ``runbolt --no-admin`` and ``--dev`` reach worker processes through the environment.
ENV_NO_ADMIN = "DJANGO_BOLT_NO_ADMIN"
ENV_DEV = "DJANGO_BOLT_DEV"


def prepare(
    routes: list[Route], apis: Sequence[BoltAPI], conf: BoltSettings, debug: bool = False
) -> tuple[list[Route], dict[str, Any]]:
    """Routes with the Django integrations applied, and the config sections for Go."""
    if not settings.configured:
        return routes, {}
    routes = _with_middleware(routes, apis, debug)
    routes = [_with_session(r) if _takes_request(r) else r for r in routes] if _sessions_on() else routes
    if conf.DJANGO_SIGNALS:
        routes = [r if r.flags & (FLAG_ASGI | FLAG_WEBSOCKET) else _with_signals(r) for r in routes]
    config: dict[str, Any] = {}
    # As runserver does: the finders' directories while developing (--dev or DEBUG).
    static = static_config(dev=bool(os.environ.get(ENV_DEV)) or bool(settings.DEBUG), max_age=conf.STATIC_MAX_AGE)
    if static is not None:
        config["static"] = static
    media = media_config(conf.MEDIA_MAX_AGE)
    if media is not None:
        config["media"] = media
    if conf.DJANGO_FALLBACK and getattr(settings, "ROOT_URLCONF", None):
        from django.core.asgi import get_asgi_application  # noqa: PLC0415 - lazy: Django's handler loads only for the fallback

        config["fallback"] = {"route": len(routes), "exclude": _excluded(conf)}
        app: Any = get_asgi_application()
        endpoint = asgi_endpoint(app, "", accept=django_routes)
        routes = [*routes, asgi_route(FALLBACK_METHOD, "", endpoint, "django")]
    return routes, config


# ---- the fallback -------------------------------------------------------------------------


def django_routes(path: str) -> bool:
    """Whether Django would do anything but 404 for ``path``: a URL pattern matches it, or
    (APPEND_SLASH) it with a trailing slash, which CommonMiddleware redirects to. Unknown
    paths keep the API's JSON 404 instead of Django's HTML page."""
    from django.urls import Resolver404, resolve  # noqa: PLC0415 - lazy: the URL resolver loads only for the fallback

    try:
        resolve(path)
        return True
    except Resolver404:
        pass
    if settings.APPEND_SLASH and not path.endswith("/"):
        try:
            resolve(path + "/")
            return True
        except Resolver404:
            pass
    return False


def admin_prefix() -> str | None:
    """The admin's URL prefix ("/admin/"), or None when the URLconf has no admin."""
    from django.urls import NoReverseMatch, reverse  # noqa: PLC0415 - lazy: the URL resolver loads only for the fallback

    try:
        return reverse("admin:index")
    except NoReverseMatch:
        return None
    except Exception:  # a broken URLconf is Django's to report at the first request
        logger.exception("could not look up the admin URL")
        return None


def _excluded(conf: BoltSettings) -> list[str]:
    if conf.ADMIN and not os.environ.get(ENV_NO_ADMIN):
        return []
    prefix = admin_prefix()
    return [prefix] if prefix else []


# ---- static files -------------------------------------------------------------------------


def static_config(dev: bool, max_age: int | None = None) -> dict[str, Any] | None:
    """STATIC_URL and the directories Go serves it from: STATIC_ROOT, and with ``dev``
    (``--dev`` or DEBUG) the staticfiles finders' directories (STATICFILES_DIRS, each app's
    static/)."""
    url = getattr(settings, "STATIC_URL", None)
    if not url or not url.startswith("/") or url.startswith("//"):
        return None  # unset, or on another host (a CDN)
    dirs: list[dict[str, str]] = []
    root = getattr(settings, "STATIC_ROOT", None)
    if root:
        if os.path.isdir(root):
            dirs.append({"prefix": "", "root": os.path.abspath(root)})
        else:
            logger.warning("STATIC_ROOT %s does not exist (run collectstatic); not serving it", root)
    if dev:
        dirs.extend(_finder_dirs())
    if not dirs:
        return None
    out: dict[str, Any] = {"url": url if url.endswith("/") else url + "/", "dirs": dirs}
    if max_age is not None:  # DJANGO_BOLT["STATIC_MAX_AGE"] (alias BOLT_STATIC_MAX_AGE)
        out["max_age"] = max_age
    return out


def media_config(max_age: int | None) -> dict[str, Any] | None:
    """MEDIA_URL and MEDIA_ROOT for Go (user uploads; ``libbolt/static`` Config.Media), or
    None when either is unset, MEDIA_URL is on another host, or MEDIA_ROOT is missing."""
    url = getattr(settings, "MEDIA_URL", None)
    root = getattr(settings, "MEDIA_ROOT", None)
    if not url or not root or not url.startswith("/") or url.startswith("//"):
        return None
    if not os.path.isabs(root):
        raise BoltConfigError(f"settings.MEDIA_ROOT must be an absolute path, got {str(root)!r}")
    if not os.path.isdir(root):
        logger.warning("MEDIA_ROOT %s does not exist; not serving MEDIA_URL", root)
        return None
    out: dict[str, Any] = {"url": url if url.endswith("/") else url + "/", "dirs": [{"prefix": "", "root": str(root)}]}
    if max_age is not None:  # DJANGO_BOLT["MEDIA_MAX_AGE"] (alias BOLT_MEDIA_MAX_AGE)
        out["max_age"] = max_age
    return out


def _finder_dirs() -> list[dict[str, str]]:
    if not apps.is_installed("django.contrib.staticfiles"):
        return []
    from django.contrib.staticfiles.finders import AppDirectoriesFinder, FileSystemFinder, get_finders  # noqa: PLC0415 - lazy: only when static files are served

    out: list[dict[str, str]] = []
    for finder in get_finders():
        if isinstance(finder, FileSystemFinder):
            out += [{"prefix": p.strip("/"), "root": os.path.abspath(r)} for p, r in finder.locations]
        elif isinstance(finder, AppDirectoriesFinder):
            for storage in finder.storages.values():
                out.append({"prefix": getattr(storage, "prefix", None) or "", "root": str(storage.location)})
    return [d for d in out if os.path.isdir(d["root"])]


# ---- sessions, middleware, signals --------------------------------------------------------


def _sessions_on() -> bool:
    return sessions_installed()


def _takes_request(route: Route) -> bool:
    # A WebSocket route's "request" argument is its socket: no session cookie to set.
    return not route.flags & FLAG_WEBSOCKET and any(a.source == "request" for a in route.params)


def _with_session(route: Route) -> Route:
    """Save a changed session and set its cookie (and a rotated CSRF cookie) on the reply."""
    name = next(a.name for a in route.params if a.source == "request")
    exempt = bool(getattr(route.handler, "csrf_exempt", False))
    inner, outputs = route.endpoint, route.outputs.get(route.status_code)

    async def run(request: Any, kwargs: dict[str, Any]) -> Any:
        cache = request._cache
        if exempt:
            cache["csrf_exempt"] = True
        result = await inner(**kwargs)
        if "session" not in cache and "META" not in cache:
            return result
        if outputs is not None and not isinstance(result, Response):
            result = outputs(result)
        status, ctype, block, body = encode_result(result, route.status_code)
        extra = await response_cookies(request, status)
        if not extra:
            return Prepared((status, ctype, block, body))
        more = header_block(None, extra)
        return Prepared((status, ctype, block + b"\0" + more if block else more, body))

    async def endpoint(**kwargs: Any) -> Any:
        request = kwargs.get(name)
        if request is None:
            return await inner(**kwargs)
        return await run(request, kwargs)

    return replace(route, endpoint=endpoint)


def _with_middleware(routes: list[Route], apis: Sequence[BoltAPI], debug: bool) -> list[Route]:
    # Keyed by method and path (unique once collected): a route with Python middleware is a
    # compiled copy of the API's Route object.
    chosen: dict[tuple[str, str], list[str]] = {}
    for api in apis:
        paths = resolve_spec(api.django_middleware, list(getattr(settings, "MIDDLEWARE", [])))
        if paths:
            chosen.update({(r.method, r.path): paths for r in api.all_routes()})
    if not chosen:
        return routes
    # Mounted ASGI apps bring their own stack, and WebSocket routes have no HTTP response
    # for middleware to see: neither is wrapped.
    skip = FLAG_ASGI | FLAG_WEBSOCKET
    return [
        wrap_route(r, chosen[(r.method, r.path)], debug) if (r.method, r.path) in chosen and not r.flags & skip else r
        for r in routes
    ]


def _with_signals(route: Route) -> Route:
    """request_started before the handler and request_finished after it (Django's own
    fallback handler sends them itself)."""
    inner = route.endpoint

    async def endpoint(**kwargs: Any) -> Any:
        await request_started.asend(sender=None, scope=None)
        try:
            return await inner(**kwargs)
        finally:
            await request_finished.asend(sender=None)

    return replace(route, endpoint=endpoint)
