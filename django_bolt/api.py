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
from ._routing.dependencies import drop_router_dependencies, plan_router_dependencies, router_dependencies
from ._routing.middleware import check_entries
from ._routing.models import output_converter, response_model_from
from ._routing.plans import plan_arguments
from ._routing.route import METHODS, Route, route_flags
from ._routing.views import view_routes, viewset_routes
from ._routing.websocket import mark_socket_route, socket_shim
from ._runtime.background import with_background
from ._runtime.binding import build_binder, with_dependencies
from ._runtime.streaming import generator_endpoint
from ._runtime.websocket import broadcast as _broadcast
from .auth._route import apply as apply_auth
from .compression import CompressionConfig, resolve
from .conf import sync_handlers_mode
from .exceptions import BoltConfigError
from .logging import check_logging_config
from .middleware import cors, rate_limit
from .openapi._guarded import register_guarded_routes
from .openapi.config import OpenAPIConfig
from .streams import stream_of, typed_stream_endpoint

__all__ = ["METHODS", "BoltAPI", "Route", "Router", "path_param_names"]

Handler = TypeVar("Handler", bound=Callable[..., Any])

#: django-bolt's ``{"type": "cors" | "rate_limit", ...}`` entries of middleware lists.
GO_BUILDERS: dict[str, Callable[..., Any]] = {"cors": cors, "rate_limit": rate_limit}

#: BoltAPI(trailing_slash=...) values.
TRAILING_SLASH = ("strip", "append", "keep")

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


def _slash(path: str, mode: str) -> str:
    """A path normalised for ``BoltAPI(trailing_slash=mode)``; "/" stays as it is."""
    if path == "/" or mode == "keep":
        return path
    if mode == "strip":
        return path.rstrip("/")
    return path if path.endswith("/") else path + "/"


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
    if not sync_to_thread and sync_handlers_mode() == "thread":
        # DJANGO_BOLT["SYNC_HANDLERS"] = "thread": django-bolt's behaviour for the whole
        # project; collect_routes warns with the count.
        adapted = sync_to_async(func, thread_sensitive=False)
        adapted.__bolt_legacy_sync__ = True  # type: ignore[attr-defined]
        return adapted
    if not sync_to_thread:
        raise BoltConfigError(
            f"{where} is a plain `def`, but handlers must be `async def`. Make it `async def` "
            "(use the async ORM: aget, acreate, async for ...), or opt in to the thread-pool "
            "adapter with sync_to_thread=True on the decorator (runs it through "
            "asgiref.sync.sync_to_async), or for a whole django-bolt project with "
            'DJANGO_BOLT["SYNC_HANDLERS"] = "thread".'
        )
    # thread_sensitive=False: run in the loop's thread pool, not all behind one thread.
    return sync_to_async(func, thread_sensitive=False)


class Router:
    """A group of routes with a common prefix, included into a ``BoltAPI`` (or another Router)."""

    def __init__(
        self,
        prefix: str = "",
        tags: list[str] | None = None,
        dependencies: Sequence[Any] | None = None,
        middleware: Sequence[Any] | None = None,
        auth: Sequence[Any] | None = None,
        guards: Sequence[Any] | None = None,
        parent: Router | None = None,
        include_in_schema: bool = True,
    ) -> None:
        """``dependencies`` (``Depends(fn)`` run before each handler, results discarded),
        ``middleware`` (Python middleware, see ``django_bolt.middleware``), ``auth`` and
        ``guards`` apply to every route registered on this router; a route's own ``auth=``
        / ``guards=`` replace the router's. ``parent`` includes this router into another."""
        if prefix and not prefix.startswith("/"):
            raise BoltConfigError(f"prefix {prefix!r} must start with '/'")
        self.prefix = prefix.rstrip("/")  # django-bolt strips a trailing '/'
        self.tags = list(tags or [])
        self.routes: list[Route] = []
        self.dependencies = router_dependencies(dependencies, f"Router({prefix!r})")
        self.middleware = check_entries(middleware, f"Router({prefix!r})", go_builders=GO_BUILDERS)
        self.auth = None if auth is None else list(auth)
        #: False leaves every route of this router out of the OpenAPI document
        self.include_in_schema = include_in_schema
        self.guards = None if guards is None else list(guards)
        if parent is not None:
            parent.children.append(self)
        #: routers given as ``parent=`` to this one: their routes are included when read
        self.children: list[Router] = []

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
        if isinstance(self, BoltAPI):
            full = _slash(full, self.trailing_slash)
        names = path_param_names(full)
        params = plan_arguments(func, method, names)
        params.extend(plan_router_dependencies(self.dependencies, method, names))
        if response_class is not None:
            endpoint = generator_endpoint(func, response_class)
        elif (typed := stream_of(func)) is not None:  # -> SSE[T] / JSONL[T] (django_bolt.streams)
            endpoint = typed_stream_endpoint(func, typed)
        else:
            endpoint = _endpoint(func, sync_to_thread)
        legacy_sync = bool(getattr(endpoint, "__bolt_legacy_sync__", False))
        if any(a.source == "depends" for a in params):
            inner = drop_router_dependencies(endpoint) if self.dependencies else endpoint
            endpoint = with_dependencies(inner, params)
        if background := [a.name for a in params if a.source == "background"]:
            endpoint = with_background(endpoint, background)
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
                "include_in_schema": include_in_schema and self.include_in_schema,
                "responses": responses or {},
                "response_model": response_model,
                "response_class": response_class,
                "timeout": timeout,
                "legacy_sync": legacy_sync,
                "max_body_size": max_body_size,
                "strict_content_type": strict_content_type,
            },
        )
        route.middleware = list(self.middleware)
        apply_auth(route, self.auth if auth is None else auth, self.guards if guards is None else guards)
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

    def query(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        """Register a handler for the HTTP QUERY method (a safe, idempotent request with a
        body, e.g. a search described in JSON), as django-bolt's ``@api.query``."""
        return self.route("QUERY", path, **options)

    def websocket(
        self, path: str, *, guards: Sequence[Any] | None = None, auth: Sequence[Any] | None = None
    ) -> Callable[[Handler], Handler]:
        """Register an ``async def handler(websocket: WebSocket, ...)`` for WebSocket
        upgrades of ``path`` (docs/websockets.md); other arguments bind like HTTP ones."""

        def decorator(func: Handler) -> Handler:
            route = self.add_route("GET", path, socket_shim(func), auth=auth, guards=guards, include_in_schema=False)
            route.handler = func
            mark_socket_route(route)
            return func

        return decorator

    async def broadcast(self, group: str, data: Any) -> None:
        """Send ``data`` (str: text, bytes: binary, else JSON) to every WebSocket in
        ``group``: one record, fanned out in Go."""
        _broadcast(group, data)

    def include_router(self, router: Router, prefix: str = "") -> None:
        """Add every route of ``router`` under this one's prefix (plus ``prefix``)."""
        if router is self:
            raise BoltConfigError("a router cannot include itself")
        if "{" in prefix:
            raise BoltConfigError(f"include_router prefix {prefix!r} cannot contain path parameters")
        for r in router.all_routes():
            mw = r.middleware if isinstance(self, BoltAPI) else [*self.middleware, *r.middleware]
            full = _join(self.prefix + prefix, r.path)
            if isinstance(self, BoltAPI):
                full = _slash(full, self.trailing_slash)
            if not router.include_in_schema:
                r = replace(r, extra={**r.extra, "include_in_schema": False})
            self.routes.append(replace(r, path=full, middleware=mw))

    def all_routes(self) -> list[Route]:
        """This router's routes and those of routers created with ``parent=self``."""
        out = list(self.routes)
        for child in self.children:
            for r in child.all_routes():
                mw = r.middleware if isinstance(self, BoltAPI) else [*self.middleware, *r.middleware]
                out.append(replace(r, path=_join(self.prefix, r.path), middleware=mw))
        return out

    get_all_routes = all_routes  # django-bolt's name

    # ---- class-based views (django_bolt.views; generation in _routing/views.py) ----------

    def view(
        self,
        path: str,
        *,
        methods: list[str] | None = None,
        guards: Sequence[Any] | None = None,
        auth: Sequence[Any] | None = None,
        status_code: int | None = None,
        tags: list[str] | None = None,
    ) -> Callable[[type[Any]], type[Any]]:
        """Route an ``APIView``'s ``get``/``post``/... methods at ``path`` (docs/views.md)."""

        def decorator(cls: type[Any]) -> type[Any]:
            specs = view_routes(
                cls, path, methods=methods, guards=guards, auth=auth, status_code=status_code, tags=tags
            )
            for spec in specs:
                self.add_route(spec.method, spec.path, spec.handler, **spec.options)
            return cls

        return decorator

    def viewset(
        self,
        path: str,
        *,
        guards: Sequence[Any] | None = None,
        auth: Sequence[Any] | None = None,
        status_code: int | None = None,
        lookup_field: str = "pk",
        tags: list[str] | None = None,
    ) -> Callable[[type[Any]], type[Any]]:
        """Route a ``ViewSet``'s actions at ``path`` and ``path/{lookup}`` (docs/views.md)."""

        def decorator(cls: type[Any]) -> type[Any]:
            specs = viewset_routes(
                cls, path, guards=guards, auth=auth, status_code=status_code, lookup_field=lookup_field, tags=tags
            )
            for spec in specs:
                route = self.add_route(spec.method, spec.path, spec.handler, **spec.options)
                if spec.finish is not None:
                    spec.finish(route)
            return cls

        return decorator


class BoltAPI(Router):
    """The application: ``api = BoltAPI()`` in an app's ``api.py``, found by ``runbolt``."""

    def __init__(
        self,
        prefix: str = "",
        trailing_slash: str = "strip",
        middleware: Sequence[Any] | None = None,
        django_middleware: bool | list[str] | dict[str, list[str]] | None = False,
        enable_logging: bool = True,
        logging_config: Any = None,
        compression: CompressionConfig | bool | None = None,
        openapi_config: OpenAPIConfig | None = None,
        *,
        include_in_schema: bool = True,
        lifespan: Callable[[BoltAPI], AbstractAsyncContextManager[Any]] | None = None,
        on_startup: Sequence[Callable[[], Any]] = (),
        on_shutdown: Sequence[Callable[[], Any]] = (),
        exception_handlers: dict[type[BaseException], Callable[..., Any]] | None = None,
    ) -> None:
        """``lifespan(api)`` is an async context manager entered once per worker process
        before it serves and exited after its last request; ``on_startup``/``on_shutdown``
        are plain or ``async`` callables run around it. A failing start-up stops the server.

        ``compression`` (on by default) is a ``CompressionConfig``, or ``False`` for none.

        ``django_middleware`` runs ``settings.MIDDLEWARE`` around this API's handlers:
        ``True`` (all of it), a list of dotted paths, or ``{"include": [...], "exclude": [...]}``
        (see docs/django.md). Off by default: it costs a Django request per call."""
        super().__init__(prefix=prefix, include_in_schema=include_in_schema)
        if trailing_slash not in TRAILING_SLASH:
            raise BoltConfigError(f"trailing_slash must be one of {', '.join(TRAILING_SLASH)}, got {trailing_slash!r}")
        #: how registered paths are normalised: "strip" (/items/ -> /items), "append", "keep"
        self.trailing_slash = trailing_slash
        #: Python middleware around every route of this API, outermost first
        self.api_middleware = check_entries(middleware, "BoltAPI(middleware=...)", go_builders=GO_BUILDERS)
        # As in django-bolt, None means the default compression (on).
        self.compression = resolve(True if compression is None else compression)
        self.django_middleware = check_spec(False if django_middleware is None else django_middleware)
        #: django-bolt's logging switches, mapped onto Go's access log (django_bolt.logging)
        self.enable_logging = bool(enable_logging)
        self.logging_config = check_logging_config(logging_config)
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

    def mount_django(self, path: str, app: Any = None, *, clear_root_path: bool = False) -> None:
        """Serve Django's own URLconf (or the ASGI ``app`` given) under ``path``, as
        django-bolt 0.8+ does. The app sees ``root_path=path`` (Django resolves what follows
        it), or with ``clear_root_path`` an empty root path (Django resolves the full path)."""
        if app is None:
            from django.core.asgi import get_asgi_application  # noqa: PLC0415 - lazy: Django's handler loads only when mounted

            app = get_asgi_application()
        full = _join(self.prefix, path) if self.prefix else path
        self.routes.extend(mount_routes(full, app, root_path="" if clear_root_path else None))

    def mount(self, path: str, app: Any) -> None:
        """Serve another ``BoltAPI``'s routes under ``path`` (its middleware comes along),
        or, for anything else, an ASGI application (``mount_asgi``)."""
        if not isinstance(app, BoltAPI):
            self.mount_asgi(path, app)
            return
        if app is self:
            raise BoltConfigError("an API cannot mount itself")
        if "{" in path:
            raise BoltConfigError(f"mount path {path!r} cannot contain path parameters")
        for r in app.all_routes():
            full = _slash(_join(self.prefix + path.rstrip("/"), r.path), self.trailing_slash)
            self.routes.append(replace(r, path=full, middleware=[*app.api_middleware, *r.middleware]))

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
