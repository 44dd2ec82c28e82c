"""``BoltAPI`` and ``Router``: where handlers are registered.

Registration does all the thinking (parameter plans, validation of the path and the
handler); serving only looks things up.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any, TypeVar

from asgiref.sync import sync_to_async

from ._django.asgi import mount_routes
from ._django.middleware import check_spec
from ._routing.models import output_converter, response_model_from
from ._routing.plans import plan_arguments
from ._routing.route import METHODS, Route, route_flags
from ._runtime.binding import build_binder, with_dependencies
from ._runtime.streaming import generator_endpoint
from .auth._route import apply as apply_auth
from .compression import CompressionConfig, resolve
from .exceptions import BoltConfigError
from .openapi._guarded import register_guarded_routes
from .openapi.config import OpenAPIConfig

__all__ = ["METHODS", "BoltAPI", "Route", "Router", "path_param_names"]

Handler = TypeVar("Handler", bound=Callable[..., Any])

_PARAM_RE = re.compile(r"\{([^{}:]+)(?::[^{}]*)?\}")


def _outputs(model: Any, status_code: int) -> dict[int, Callable[[Any], Any]]:
    if model is None:
        return {}
    if isinstance(model, dict):
        return {int(status): output_converter(m) for status, m in model.items()}
    return {status_code: output_converter(model)}


def path_param_names(path: str) -> list[str]:
    """Names of the ``{name}`` / ``{name:conv}`` parameters in a path, in order."""
    return _PARAM_RE.findall(path)


def _join(prefix: str, path: str) -> str:
    if not path.startswith("/"):
        raise BoltConfigError(f"route path {path!r} must start with '/'")
    if prefix and not prefix.startswith("/"):
        raise BoltConfigError(f"prefix {prefix!r} must start with '/'")
    joined = prefix.rstrip("/") + path
    return joined if joined else "/"


def _endpoint(func: Callable[..., Any], sync_to_thread: bool) -> Callable[..., Any]:
    where = f"{func.__module__}.{func.__qualname__}"
    if inspect.iscoroutinefunction(func):
        if sync_to_thread:
            raise BoltConfigError(f"{where} is already `async def`; drop sync_to_thread=True")
        return func
    if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
        raise BoltConfigError(
            f"{where}: a generator handler needs response_class=StreamingResponse (or "
            "EventSourceResponse) on the decorator; or return StreamingResponse(generator)"
        )
    if not sync_to_thread:
        raise BoltConfigError(
            f"{where} is a plain `def`, but handlers must be `async def`. Make it `async def` "
            "(use the async ORM: aget, acreate, async for ...), or opt in to the thread-pool "
            "adapter with sync_to_thread=True on the decorator (runs it through "
            "asgiref.sync.sync_to_async)."
        )
    # thread_sensitive=False: run in the loop's thread pool, not all behind one thread.
    return sync_to_async(func, thread_sensitive=False)


class Router:
    """A group of routes with a common prefix, included into a ``BoltAPI`` (or another Router)."""

    def __init__(self, prefix: str = "", tags: list[str] | None = None) -> None:
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise BoltConfigError(f"prefix {prefix!r} must start with '/' and not end with '/'")
        self.prefix = prefix
        self.tags = list(tags or [])
        self.routes: list[Route] = []

    def add_route(
        self,
        method: str,
        path: str,
        func: Callable[..., Any],
        *,
        status_code: int = 200,
        sync_to_thread: bool = False,
        response_class: type[Any] | None = None,
        name: str | None = None,
        response_model: Any = None,
        timeout: float | None = None,
        tags: list[str] | None = None,
        summary: str | None = None,
        description: str | None = None,
        operation_id: str | None = None,
        deprecated: bool = False,
        include_in_schema: bool = True,
        responses: dict[int, Any] | None = None,
        auth: Sequence[Any] | None = None,
        guards: Sequence[Any] | None = None,
        max_body_size: int | None = None,
        strict_content_type: bool = True,
    ) -> Route:
        """Register ``func`` for ``method`` and ``path`` (the decorators call this).

        ``response_model`` (or a model return annotation) validates the return value and lets
        only declared fields out; a dict ``{201: A, 404: B}`` picks a model per status. The
        documentation options are kept for the OpenAPI document. ``timeout`` (seconds)
        overrides the ``HANDLER_TIMEOUT`` setting for this route (504 when it runs out).
        ``auth=[...]`` (backends) and ``guards=[...]`` replace the ``BOLT_*`` defaults for
        this route (see ``django_bolt.auth``). ``max_body_size`` (bytes) replaces the
        ``MAX_BODY_SIZE`` setting for this route (413 above it, before the body is read).
        A route with a JSON body answers 415 to a body sent with another Content-Type
        (``text/plain``, forms: what a cross-site page can send without a CORS preflight);
        ``strict_content_type=False`` accepts any."""
        method = method.upper()
        if method not in METHODS:
            raise BoltConfigError(f"unsupported method {method!r}; use one of {', '.join(METHODS)}")
        if not 200 <= status_code <= 599:
            raise BoltConfigError(f"status_code {status_code} is outside 200-599")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
            raise BoltConfigError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if max_body_size is not None and (
            isinstance(max_body_size, bool) or not isinstance(max_body_size, int) or max_body_size < 0
        ):
            raise BoltConfigError(f"max_body_size must be a number of bytes >= 0, got {max_body_size!r}")
        full = _join(self.prefix, path)
        names = path_param_names(full)
        params = plan_arguments(func, method, names)
        if response_class is not None:
            endpoint = generator_endpoint(func, response_class)
        else:
            endpoint = _endpoint(func, sync_to_thread)
        if any(a.source == "depends" for a in params):
            endpoint = with_dependencies(endpoint, params)
        route = Route(
            method=method,
            path=full,
            handler=func,
            endpoint=endpoint,
            params=params,
            binder=build_binder(params),
            status_code=status_code,
            name=name or func.__name__,
            flags=route_flags(method, params),
            outputs=_outputs(response_model_from(func, response_model), status_code),
            extra={
                "tags": [*self.tags, *(tags or [])],
                "summary": summary,
                "description": description,
                "operation_id": operation_id,
                "deprecated": deprecated,
                "include_in_schema": include_in_schema,
                "responses": responses or {},
                "response_model": response_model,
                "response_class": response_class,
                "timeout": timeout,
                "max_body_size": max_body_size,
                "strict_content_type": strict_content_type,
            },
        )
        apply_auth(route, auth, guards)
        self.routes.append(route)
        return route

    def route(self, method: str, path: str, **options: Any) -> Callable[[Handler], Handler]:
        def decorator(func: Handler) -> Handler:
            self.add_route(method, path, func, **options)
            return func

        return decorator

    def get(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        """Register a GET handler: ``@api.get("/items/{item_id}")``."""
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **options)

    def head(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("HEAD", path, **options)

    def options(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("OPTIONS", path, **options)

    def include_router(self, router: Router, prefix: str = "") -> None:
        """Add every route of ``router`` under this one's prefix (plus ``prefix``)."""
        if router is self:
            raise BoltConfigError("a router cannot include itself")
        if "{" in prefix:
            raise BoltConfigError(f"include_router prefix {prefix!r} cannot contain path parameters")
        for r in router.routes:
            self.routes.append(replace(r, path=_join(self.prefix + prefix, r.path)))


class BoltAPI(Router):
    """The application: ``api = BoltAPI()`` in an app's ``api.py``, found by ``runbolt``."""

    def __init__(
        self,
        prefix: str = "",
        *,
        lifespan: Callable[[BoltAPI], AbstractAsyncContextManager[Any]] | None = None,
        on_startup: Sequence[Callable[[], Any]] = (),
        on_shutdown: Sequence[Callable[[], Any]] = (),
        exception_handlers: dict[type[BaseException], Callable[..., Any]] | None = None,
        openapi_config: OpenAPIConfig | None = None,
        django_middleware: bool | list[str] | dict[str, list[str]] = False,
        compression: CompressionConfig | bool | None = True,
    ) -> None:
        """``lifespan(api)`` is an async context manager entered once per worker process
        before it serves and exited after its last request; ``on_startup``/``on_shutdown``
        are plain or ``async`` callables run around it. A failing start-up stops the server.

        ``compression`` (on by default) is a ``CompressionConfig``, or ``False`` for none.

        ``django_middleware`` runs ``settings.MIDDLEWARE`` around this API's handlers:
        ``True`` (all of it), a list of dotted paths, or ``{"include": [...], "exclude": [...]}``
        (see docs/django.md). Off by default: it costs a Django request per call."""
        super().__init__(prefix=prefix)
        self.compression = resolve(compression)
        self.django_middleware = check_spec(django_middleware)
        for hook in (lifespan, *on_startup, *on_shutdown):
            if hook is not None and not callable(hook):
                raise BoltConfigError(f"BoltAPI lifecycle hooks must be callables, got {hook!r}")
        self.lifespan = lifespan
        self.on_startup = list(on_startup)
        self.on_shutdown = list(on_shutdown)
        self.exception_handlers: dict[type[BaseException], Callable[..., Any]] = {}
        self.ready_checks: list[tuple[str, Callable[[], Any]]] = []
        for exc_type, handler in (exception_handlers or {}).items():
            self.add_exception_handler(exc_type, handler)
        if openapi_config is not None and not isinstance(openapi_config, OpenAPIConfig):
            raise BoltConfigError(f"openapi_config must be an OpenAPIConfig, got {openapi_config!r}")
        #: OpenAPI document and docs UIs (``django_bolt.openapi``); None: the defaults
        self.openapi_config = openapi_config
        #: guarded docs only: path -> (content type, body or file, is_file), set at start-up
        self.openapi_replies: dict[str, tuple[str, str, bool]] = {}
        if openapi_config is not None and openapi_config.enabled and openapi_config.guarded:
            register_guarded_routes(self, openapi_config)

    def mount_asgi(self, prefix: str, app: Any) -> None:
        """Serve ``prefix`` and every path below it with the ASGI application ``app``
        (Starlette, another Django project, ...). The app sees ``root_path=prefix`` and the
        full path; API routes registered for paths under the prefix take precedence only
        where their paths are more specific. Lifespan events are not sent."""
        self.routes.extend(mount_routes(_join(self.prefix, prefix) if self.prefix else prefix, app))

    def ready_check(self, func: Handler) -> Handler:
        """Register a readiness check (see ``django_bolt.health``); usable as a decorator."""
        if not callable(func):
            raise BoltConfigError(f"ready checks must be callables, got {func!r}")
        self.ready_checks.append((getattr(func, "__name__", repr(func)), func))
        return func

    def add_exception_handler(self, exc_type: type[BaseException], handler: Callable[..., Any]) -> None:
        """Answer ``exc_type`` (and subclasses) with ``handler(request, exc)``, async or not;
        it returns anything a route handler may return (a ``Response`` to set the status)."""
        if not (isinstance(exc_type, type) and issubclass(exc_type, BaseException)):
            raise BoltConfigError(f"exception handlers are keyed by exception classes, got {exc_type!r}")
        if not callable(handler):
            raise BoltConfigError(f"exception handler for {exc_type.__name__} is not callable")
        self.exception_handlers[exc_type] = handler

    def exception_handler(self, exc_type: type[BaseException]) -> Callable[[Handler], Handler]:
        """Decorator form: ``@api.exception_handler(ValueError)``."""

        def decorator(func: Handler) -> Handler:
            self.add_exception_handler(exc_type, func)
            return func

        return decorator
