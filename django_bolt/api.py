"""``BoltAPI`` and ``Router``: where handlers are registered.

Registration does all the thinking (parameter plans, validation of the path and the
handler); serving only looks things up.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from asgiref.sync import sync_to_async

from ._params import Binder, Param, build_binder, build_params, needs_headers
from .exceptions import BoltConfigError

Handler = TypeVar("Handler", bound=Callable[..., Any])

_PARAM_RE = re.compile(r"\{([^{}:]+)(?::[^{}]*)?\}")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@dataclass
class Route:
    """One registered operation."""

    method: str
    path: str
    handler: Callable[..., Any]  # the user's function, as written
    endpoint: Callable[..., Any]  # what is called per request (async)
    params: list[Param]
    binder: Binder | None
    status_code: int = 200
    name: str = ""
    flags: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


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
        raise BoltConfigError(f"{where}: generator handlers are not supported; return a value")
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
        name: str | None = None,
    ) -> Route:
        method = method.upper()
        if method not in METHODS:
            raise BoltConfigError(f"unsupported method {method!r}; use one of {', '.join(METHODS)}")
        if not 200 <= status_code <= 599:
            raise BoltConfigError(f"status_code {status_code} is outside 200-599")
        full = _join(self.prefix, path)
        names = path_param_names(full)
        params = build_params(func, method, names)
        route = Route(
            method=method,
            path=full,
            handler=func,
            endpoint=_endpoint(func, sync_to_thread),
            params=params,
            binder=build_binder(params),
            status_code=status_code,
            name=name or func.__name__,
            flags=1 if needs_headers(params) else 0,
        )
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
            self.routes.append(
                Route(
                    method=r.method,
                    path=_join(self.prefix + prefix, r.path),
                    handler=r.handler,
                    endpoint=r.endpoint,
                    params=r.params,
                    binder=r.binder,
                    status_code=r.status_code,
                    name=r.name,
                    flags=r.flags,
                    extra=r.extra,
                )
            )


class BoltAPI(Router):
    """The application: ``api = BoltAPI()`` in an app's ``api.py``, found by ``runbolt``."""

    def __init__(self, prefix: str = "") -> None:
        super().__init__(prefix=prefix)
