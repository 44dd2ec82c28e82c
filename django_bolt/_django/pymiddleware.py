"""Django middleware as links of a Bolt middleware chain: ``DjangoMiddleware(cls_or_path,
**kwargs)``, ``DjangoMiddlewareStack([...])`` and ``load_django_middleware(...)``.

Each link turns the request into a Django ``ASGIRequest`` (once per request, shared with
``request.session``/CSRF), runs the Django middleware around the rest of the chain, and
turns the ``HttpResponse`` back into a Response. Sync-only middleware is adapted the way
Django's own handler adapts it. ``BoltAPI(django_middleware=...)`` remains the cheaper
choice for a whole API (one conversion for the whole stack).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.utils.module_loading import import_string

from .._runtime.encoding import encode_response
from .._runtime.middleware import GetResponse, to_response
from ..exceptions import BoltConfigError
from ..request import Request
from ..responses import Response
from .middleware import resolve_spec, to_django_response
from .scope import as_django_request

__all__ = ["DEFAULT_EXCLUDED_MIDDLEWARE", "DjangoMiddleware", "DjangoMiddlewareStack", "load_django_middleware"]

#: Left out by ``load_django_middleware(exclude_defaults=True)``: Go does their work.
DEFAULT_EXCLUDED_MIDDLEWARE = frozenset(
    {"corsheaders.middleware.CorsMiddleware", "django.middleware.gzip.GZipMiddleware"}
)


class DjangoMiddleware:
    """One Django middleware (a class or its dotted path, plus keyword arguments for its
    constructor) as a Bolt middleware entry."""

    def __init__(self, middleware_class_or_get_response: type | str | Callable[..., Any], **init_kwargs: Any) -> None:
        target = middleware_class_or_get_response
        if isinstance(target, str):
            try:
                target = import_string(target)
            except ImportError as exc:
                raise BoltConfigError(
                    f"DjangoMiddleware: cannot import {middleware_class_or_get_response!r}: {exc}"
                ) from exc
        if not callable(target):
            raise BoltConfigError(f"DjangoMiddleware needs a middleware class or dotted path, got {target!r}")
        self.factory: Callable[..., Any] = target
        self.init_kwargs = init_kwargs
        self.name = getattr(target, "__name__", repr(target))

    def build(self, get_response: GetResponse) -> Callable[[Request], Any]:
        """The chain link: called once per route at start-up."""
        from django.core.handlers.base import BaseHandler  # noqa: PLC0415 - lazy: Django's request handling loads only with Django middleware

        async def downstream(dj: Any) -> Any:
            request: Request = dj.bolt_request
            return to_django_response(encode_response(await get_response(request)))

        base = BaseHandler()
        is_async = bool(getattr(self.factory, "async_capable", False)) or not getattr(
            self.factory, "sync_capable", True
        )
        adapted = base.adapt_method_mode(is_async, downstream, True, settings.DEBUG, f"middleware {self.name}")
        try:
            instance = self.factory(adapted, **self.init_kwargs)
        except MiddlewareNotUsed:
            return get_response
        call: Callable[[Any], Any] = base.adapt_method_mode(True, instance, is_async)

        async def link(request: Request) -> Response:
            dj = as_django_request(request)
            dj.bolt_request = request
            result = await call(dj)
            if hasattr(dj, "session"):
                request._cache["session"] = dj.session
            return to_response(result, 200)

        return link


class DjangoMiddlewareStack:
    """Several Django middleware as one entry, in the order given (outermost first)."""

    def __init__(self, middleware_classes: Sequence[type | str | DjangoMiddleware]) -> None:
        self.entries = [m if isinstance(m, DjangoMiddleware) else DjangoMiddleware(m) for m in middleware_classes]
        self.name = "DjangoMiddlewareStack"

    def build(self, get_response: GetResponse) -> Callable[[Request], Any]:
        chain: Any = get_response
        for entry in reversed(self.entries):
            chain = entry.build(chain)
        return chain  # type: ignore[no-any-return]


def get_django_middleware_setting() -> list[str]:
    """``settings.MIDDLEWARE`` as a list."""
    return list(getattr(settings, "MIDDLEWARE", None) or [])


def load_django_middleware(
    config: bool | list[str] | dict[str, list[str]] = True, *, exclude_defaults: bool = True
) -> list[DjangoMiddleware]:
    """Entries for ``settings.MIDDLEWARE`` (``True``), a list of dotted paths, or
    ``{"include": [...], "exclude": [...]}``; ``exclude_defaults`` leaves out the middleware
    Go replaces (``DEFAULT_EXCLUDED_MIDDLEWARE``)."""
    paths = resolve_spec(config, get_django_middleware_setting())
    if exclude_defaults:
        paths = [p for p in paths if p not in DEFAULT_EXCLUDED_MIDDLEWARE]
    return [DjangoMiddleware(p) for p in paths]
