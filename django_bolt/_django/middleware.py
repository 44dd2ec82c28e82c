"""``BoltAPI(django_middleware=...)``: Django's ``settings.MIDDLEWARE`` around API handlers.

The chain is built once per route at start-up the way Django's BaseHandler builds its own
(async-capable middleware called natively, sync-only middleware adapted with asgiref), and
each request then gets a Django ``ASGIRequest``. ``process_view`` hooks run before the
handler with the user's function as the view, so ``@csrf_exempt`` is honoured.
Not run: ``process_exception`` and ``process_template_response`` (handlers return data, not
templates; exceptions become JSON responses before the middleware sees the response).
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.utils.module_loading import import_string

from .._native.wire import CONTENT_TYPES, CT_NONE, FLAG_HEADERS, METHOD_NAMES
from .._routing.route import Route
from .._runtime.encoding import Encoded, encode_exception, encode_result
from ..exceptions import BoltConfigError
from ..request import Request, split_pairs
from .asgi import in_task, raw_binder
from .scope import build_scope, client_of, header_list

Spec = bool | list[str] | dict[str, list[str]]


def check_spec(spec: Any) -> Spec:
    """Validate the ``django_middleware`` argument's shape (names are checked at start-up)."""
    if isinstance(spec, bool):
        return spec
    if isinstance(spec, list) and all(isinstance(p, str) for p in spec):
        return list(spec)
    if (
        isinstance(spec, dict)
        and set(spec) <= {"include", "exclude"}
        and all(isinstance(v, list) and all(isinstance(p, str) for p in v) for v in spec.values())
    ):
        return {k: list(v) for k, v in spec.items()}
    raise BoltConfigError(
        "django_middleware must be True/False, a list of dotted paths, or "
        f'{{"include": [...], "exclude": [...]}}; got {spec!r}'
    )


def resolve_spec(spec: Spec, configured: list[str]) -> list[str]:
    """The dotted paths to run, in ``settings.MIDDLEWARE`` order for True and dicts."""
    if spec is True:
        return list(configured)
    if spec is False:
        return []
    if isinstance(spec, list):
        return spec
    include = spec.get("include", configured)
    exclude = set(spec.get("exclude", []))
    unknown = sorted((set(include) | exclude) - set(configured))
    if unknown:
        raise BoltConfigError(f"django_middleware names {', '.join(unknown)}, which settings.MIDDLEWARE does not list")
    return [p for p in configured if p in include and p not in exclude]


def build_chain(paths: list[str], view: Callable[[Any], Any], callback: Any) -> Callable[[Any], Any]:
    """An async callable ``request -> HttpResponse`` running ``paths`` around ``view``."""
    from django.core.handlers.base import BaseHandler  # noqa: PLC0415 - lazy: Django's request handling loads only with django_middleware

    base = BaseHandler()
    views: list[Callable[..., Any]] = []

    async def inner(request: Any) -> Any:
        for hook in views:
            response = hook(request, callback, (), {})
            if inspect.isawaitable(response):
                response = await response
            if response is not None:
                return response
        return await view(request)

    handler: Callable[[Any], Any] = inner
    handler_is_async = True
    for path in reversed(paths):
        try:
            factory = import_string(path)
        except ImportError as exc:
            raise BoltConfigError(f"django_middleware: cannot import {path!r}: {exc}") from exc
        is_async = bool(getattr(factory, "async_capable", False))
        adapted = base.adapt_method_mode(is_async, handler, handler_is_async, settings.DEBUG, f"middleware {path}")
        try:
            instance = factory(adapted)
        except MiddlewareNotUsed:
            continue
        hook = getattr(instance, "process_view", None)
        if hook is not None:
            views.insert(0, hook if inspect.iscoroutinefunction(hook) else sync_to_async(hook, thread_sensitive=True))
        handler, handler_is_async = instance, is_async
    chain: Callable[[Any], Any] = base.adapt_method_mode(True, handler, handler_is_async)
    return chain


def to_django_response(encoded: Encoded) -> Any:
    from django.http import HttpResponse  # noqa: PLC0415 - lazy: Django's request handling loads only with django_middleware

    status, ctype, block, body = encoded
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES.get(ctype))
    if ctype == CT_NONE:
        del response["Content-Type"]
    items = split_pairs(block.decode("latin-1"))
    for name, value in zip(items[::2], items[1::2]):
        if name.lower() == "set-cookie":
            response.cookies.load(value)
        else:
            response[name] = value
    return response


def wrap_route(route: Route, paths: list[str], debug: bool) -> Route:
    """A copy of ``route`` whose handler runs inside the middleware chain."""
    binder, endpoint, outputs = route.binder, route.endpoint, route.outputs.get(route.status_code)
    where = f"{route.method} {route.path}"

    async def view(dj: Any) -> Any:
        method, path, params, query, headers, body, extra = dj.bolt_raw
        try:
            kwargs = binder(method, path, params, query, headers, body, extra) if binder else {}
            for value in kwargs.values():
                if isinstance(value, Request):  # share what middleware set up
                    value._cache["django_request"] = dj
                    if hasattr(dj, "session"):
                        value._cache["session"] = dj.session
            result = await endpoint(**kwargs)
            if outputs is not None:
                result = outputs(result)
            encoded = encode_result(result, route.status_code)
        except Exception as exc:
            encoded = encode_exception(exc, where, debug)
        return to_django_response(encoded)

    chain = build_chain(paths, view, route.handler)

    async def call(raw: tuple[Any, ...]) -> Any:
        from django.core.handlers.asgi import ASGIRequest  # noqa: PLC0415 - lazy: Django's request handling loads only with django_middleware

        method, path, _params, query, headers, body, extra = raw
        items = split_pairs(query.decode())
        qs = urlencode(list(zip(items[::2], items[1::2]))).encode()
        scope = build_scope(METHOD_NAMES[method], path, qs, header_list(headers), client_of(extra))
        dj: Any = ASGIRequest(scope, io.BytesIO(body))
        dj.bolt_raw = raw
        return await in_task(chain(dj))

    return replace(route, endpoint=call, binder=raw_binder, outputs={}, flags=route.flags | FLAG_HEADERS)
