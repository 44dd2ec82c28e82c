"""Python middleware at start-up: check what was given, and compile each route's chain once.

A route's chain is, outermost first, ``BoltAPI(middleware=...)``, then the middleware of the
routers it was included through, then ``@middleware(...)`` on the handler. Only routes with
at least one entry are wrapped; every other route keeps its endpoint and binder untouched,
so it pays nothing (see bench/RESULTS.md, issue 18).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from .._native.wire import FLAG_HEADERS
from .._runtime.middleware import BaseMiddleware, GetResponse, Middleware, chain_endpoint
from ..exceptions import BoltConfigError
from ..request import Request
from .passthrough import passes_through
from .route import Route

__all__ = [
    "FUNC_ATTR",
    "GO_ATTRS",
    "SKIP_ATTR",
    "Factory",
    "GoEntry",
    "check_entries",
    "is_chain_binder",
    "middleware_name",
    "wrap_route",
]

#: Attribute ``@middleware`` sets on a handler: its own entries, outermost first.
FUNC_ATTR = "__bolt_middleware__"
#: Attribute ``@skip_middleware`` sets on a handler: the names it opts out of ("*": all).
SKIP_ATTR = "__bolt_skip_middleware__"

#: Builds one link of a chain from the link below it.
Factory = Callable[[GetResponse], Callable[[Request], Any]]


def middleware_name(entry: Any) -> str:
    """The name ``@skip_middleware`` matches an entry by: its class name, or a ``name``."""
    name = getattr(entry, "name", None)
    if isinstance(name, str):
        return name
    return entry.__name__ if isinstance(entry, type) else type(entry).__name__


def _function_factory(func: Callable[..., Any]) -> Factory:
    """``async def mw(request, call_next)``: call_next(request) runs the rest."""

    def build(get_response: GetResponse) -> Callable[[Request], Any]:
        async def link(request: Request) -> Any:
            return await func(request, get_response)

        return link

    return build


class GoEntry:
    """A ``{"type": "cors" | "rate_limit", ...}`` entry of a middleware list: Go middleware
    configured for every route the list applies to (a route's own ``@cors`` /
    ``@rate_limit`` still wins). ``config`` is what the decorator would attach."""

    __slots__ = ("config", "kind")

    def __init__(self, kind: str, config: dict[str, Any]) -> None:
        self.kind = kind
        self.config = config


def _go_entry(entry: dict[str, Any], where: str, build: dict[str, Callable[..., Any]]) -> GoEntry:
    options = dict(entry)
    kind = options.pop("type", None)
    if kind not in build:
        raise BoltConfigError(f"{where}: a middleware dict needs type 'cors' or 'rate_limit', got {entry!r}")
    try:
        probe = build[kind](**options)(lambda: None)
    except TypeError as exc:
        raise BoltConfigError(f"{where}: {kind} middleware dict: {exc}") from None
    return GoEntry(kind, dict(getattr(probe, GO_ATTRS[kind])))


#: GoEntry kind -> the handler attribute its decorator sets (read by _server/serve.py, protect.py).
GO_ATTRS = {"cors": "__bolt_cors__", "rate_limit": "__bolt_rate_limit__"}


def check_entries(
    entries: Sequence[Any] | None,
    where: str,
    functions: bool = False,
    go_builders: dict[str, Callable[..., Any]] | None = None,
) -> list[Any]:
    """Validate middleware entries at registration: classes built as ``cls(get_response)``,
    objects with a ``build(get_response)`` method (``DjangoMiddleware``, ...), and on a route
    also ``async def mw(request, call_next)`` functions. Instances of a middleware class are
    refused: each route builds its own."""
    out: list[Any] = []
    for entry in entries or ():
        if isinstance(entry, dict) and go_builders is not None:
            out.append(_go_entry(entry, where, go_builders))
        elif isinstance(entry, type):
            if not callable(getattr(entry, "__call__", None)):  # noqa: B004 - a class defining __call__
                raise BoltConfigError(f"{where}: middleware class {entry.__name__} has no __call__")
            out.append(entry)
        elif hasattr(entry, "build") and callable(entry.build):
            out.append(entry)
        elif inspect.iscoroutinefunction(entry):
            if not functions:
                raise BoltConfigError(
                    f"{where}: function middleware {entry.__name__} is only accepted by @middleware on a route"
                )
            out.append(entry)
        else:
            raise BoltConfigError(
                f"{where}: {entry!r} is not middleware; pass a class (not an instance), "
                "DjangoMiddleware(...)/DjangoMiddlewareStack([...]), or an async function on a route"
            )
    return out


def _link(factory: Factory, below: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """Build one link. Speed: a Middleware whose ``__call__`` is the base class's (it only
    forwards to ``process_request``) is linked through its bound ``process_request``,
    one coroutine less per request."""
    instance = factory(below)
    if isinstance(instance, Middleware):
        call = type(instance).__call__
        if call is Middleware.__call__ or (
            call is BaseMiddleware.__call__ and isinstance(instance, BaseMiddleware) and not instance.excludes
        ):
            return instance.process_request
    return instance


def _factory(entry: Any) -> Factory:
    if isinstance(entry, type):
        return entry
    if inspect.iscoroutinefunction(entry):
        return _function_factory(entry)
    return entry.build  # type: ignore[no-any-return]


def wrap_route(route: Route, entries: Sequence[Any]) -> Route:
    """A copy of ``route`` whose handler runs inside ``entries`` (outermost first), minus
    the ones the handler skips; ``route`` itself when none is left."""
    skip: frozenset[str] = getattr(route.handler, SKIP_ATTR, frozenset())
    go = {e.kind: e.config for e in entries if isinstance(e, GoEntry)}
    if go:  # applied by Go: kept on the route for the server config (the handler's own wins)
        route = replace(route, extra={**route.extra, "go_middleware": go})
        entries = [e for e in entries if not isinstance(e, GoEntry)]
    if "*" in skip:
        return route
    chosen = [e for e in entries if middleware_name(e) not in skip]
    if not chosen:
        return route

    def wrap(inner: Callable[[Request], Any]) -> Callable[[Request], Any]:
        chain = inner
        for entry in reversed(chosen):
            chain = _link(_factory(entry), chain)
        return chain

    binder, endpoint = chain_endpoint(route, wrap, all(passes_through(e) for e in chosen))
    binder.__bolt_chain__ = True  # type: ignore[attr-defined]
    # Middleware reads headers and the request: Go copies them for this route.
    return replace(route, endpoint=endpoint, binder=binder, outputs={}, flags=route.flags | FLAG_HEADERS)


def is_chain_binder(binder: Any) -> bool:
    """Whether ``binder`` is a Python middleware chain's (its route's requests carry the
    client address: the chain's Request has ``META["REMOTE_ADDR"]``)."""
    return getattr(binder, "__bolt_chain__", False) is True
