"""Per-route auth, compiled at registration: which backends and guards apply (route
arguments over the ``BOLT_*`` defaults), what Go evaluates, and the Python-side step for
the routes that need one (session auth, custom guards, shared revocation stores)."""

from __future__ import annotations

import functools
import inspect
import os
import site
import sys
import sysconfig
import types
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .._native.wire import FLAG_HEADERS
from .._runtime.binding import DATA_KEY
from ..exceptions import BoltConfigError, HTTPException
from ..request import Request
from .backends import BaseAuthentication, get_default_authentication_classes
from .guards import AllowAny, BasePermission, check_guard, get_default_permission_classes, is_builtin
from .revocation import InMemoryRevocation

if TYPE_CHECKING:
    from .._routing.route import Route
    from .._runtime.binding import Binder

#: Keyword the Python-side guard step passes itself through the binder.
_REQ_KEY = "_bolt_auth_request"


def resolve(auth: Sequence[Any] | None, guards: Sequence[Any] | None, where: str) -> tuple[list[Any], list[Any]]:
    """The route's backends and guards: its own, else the settings' defaults."""
    backends = list(get_default_authentication_classes() if auth is None else auth)
    for b in backends:
        if not isinstance(b, BaseAuthentication):
            raise BoltConfigError(f"{where}: auth= takes backend instances such as JWTAuthentication(), got {b!r}")
    chosen = list(get_default_permission_classes() if guards is None else guards)
    for g in chosen:
        check_guard(g, where)
    # AllowAny alone is the same as no guard; it only matters for replacing defaults.
    chosen = [g for g in chosen if not isinstance(g, AllowAny)]
    if not backends and any(is_builtin(g) and g.requires_auth for g in chosen):
        raise BoltConfigError(f"{where}: guards that need an authenticated user require auth=[...] backends")
    return backends, chosen


def _python_revocation(b: Any) -> bool:
    store = getattr(b, "revocation_store", None)
    return store is not None and not isinstance(store, InMemoryRevocation)


def needs_python(backends: list[Any], guards: list[Any]) -> bool:
    """Whether this route's decision must be finished in Python."""
    return (
        any(b.python_side or _python_revocation(b) for b in backends)  # session, shared revocation
        or any(not is_builtin(g) for g in guards)  # custom guards
    )


def apply(route: Route, auth: Sequence[Any] | None, guards: Sequence[Any] | None) -> None:
    """Resolve and store the route's auth; wrap it with the Python step when needed."""
    where = f"{route.method} {route.path}"
    backends, chosen = resolve(auth, guards, where)
    route.extra["auth"] = backends
    route.extra["guards"] = chosen
    request_arg = next((a.name for a in route.params if a.source == "request"), None)
    has_deps = any(a.dependency is not None for a in route.params)
    if backends and (request_arg is not None or has_deps) and graph_reads_user(route):
        # Inside the guard step (wrapped below), so a session login is already in the context.
        route.endpoint = _with_user(route.endpoint, request_arg, backends)
    if needs_python(backends, chosen):
        route.binder = _binder_with_request(route.binder)
        route.endpoint = _guarded(route.endpoint, backends, chosen)
        route.flags |= FLAG_HEADERS  # the Python step reads headers (cookies, the session)


def _binder_with_request(binder: Binder | None) -> Binder:
    def bind(
        method: int, path: bytes, params: bytes, query: bytes, headers: bytes, body: bytes, extra: bytes
    ) -> dict[str, Any]:
        kwargs = binder(method, path, params, query, headers, body, extra) if binder is not None else {}
        request = next((v for v in kwargs.values() if isinstance(v, Request)), None)
        if request is None and DATA_KEY in kwargs:  # the one the dependencies get
            request = kwargs[DATA_KEY].get_request()
        if request is None:
            request = Request(method, path, query.decode(), headers, body, {}, extra)
        kwargs[_REQ_KEY] = request
        return kwargs

    return bind


_UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="api"'}


def _guarded(endpoint: Callable[..., Any], backends: list[Any], guards: list[Any]) -> Callable[..., Any]:
    session = [b for b in backends if b.python_side]
    stores = [b.revocation_store for b in backends if _python_revocation(b)]

    async def call(**kwargs: Any) -> Any:
        request: Request = kwargs.pop(_REQ_KEY)
        context = request.context
        if context and stores and await _revoked(context, stores):
            request.context = context = {}
        if not context:
            for b in session:
                found = await b.authenticate(request)
                if found:
                    request.context = context = found
                    break
        for g in guards:
            if isinstance(g, BasePermission) and g.requires_auth and not context:
                raise HTTPException(401, "Authentication credentials were not provided.", headers=_UNAUTHORIZED)
            ok = g.has_permission(request) if isinstance(g, BasePermission) else g(request)
            if inspect.isawaitable(ok):
                ok = await ok
            if not ok:
                raise HTTPException(403, "You do not have permission to perform this action.")
        return await endpoint(**kwargs)

    call.__wrapped__ = endpoint  # type: ignore[attr-defined]
    return call


def graph_reads_user(route: Route) -> bool:
    """Whether ``request.user`` may be read while this route's handler runs: by the handler,
    by a ``Depends`` function anywhere in its dependency tree, or by a function or class
    of the project that one of them names (a helper called with the request, followed
    through module globals and project modules, transitively). An over-approximation:
    any attribute or global named ``user`` (or the string ``"user"`` in code that calls
    ``getattr``, as ``getattr(request, "user")``) counts, so a false positive costs one user query, never
    a wrong answer; what the analysis cannot see (a method reached through an object
    attribute, code outside the project) raises an explicit error naming
    ``await request.auser()`` when it reads ``request.user`` (``_django/session.py``)."""
    funcs = [route.handler]
    stack = list(route.params)
    while stack:
        arg = stack.pop()
        if arg.dependency is not None:
            funcs.append(arg.dependency.func)
            stack.extend(arg.dependency.args)
    return any(reads_user(f) for f in funcs)


def reads_user(func: Callable[..., Any]) -> bool:
    """Whether the handler's code reads an attribute (or global) named ``user``, as in
    ``request.user``, itself or in a function/comprehension defined inside it; for a view
    class's route, any method the project's classes define (``self.request.user`` in
    ``get_queryset``...). Decided once at registration, so routes that never read it pay
    nothing per request."""
    view = getattr(func, "__bolt_view_class__", None)
    if view is not None:
        funcs = [
            inspect.unwrap(f)
            for klass in view.__mro__
            if not klass.__module__.startswith(("django_bolt.", "builtins"))
            for f in vars(klass).values()
            if inspect.isfunction(f)
        ]
    else:
        funcs = [inspect.unwrap(func)]
    seen: set[int] = set()
    stack: list[tuple[types.CodeType, dict[str, Any]]] = []
    while funcs:
        f = funcs.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        if isinstance(c := getattr(f, "__code__", None), types.CodeType):
            stack.append((c, getattr(f, "__globals__", {})))
        while stack:
            c, names = stack.pop()
            if "user" in c.co_names or ("getattr" in c.co_names and "user" in c.co_consts):
                return True
            stack.extend((k, names) for k in c.co_consts if isinstance(k, types.CodeType))
            funcs.extend(_project_callees(c, names))
    return False


def _project(obj: Any) -> bool:
    """Whether ``obj`` (a function, class or module) is the project's code: not Python's
    own, not an installed package (django_bolt's reads the user with ``auser()``)."""
    name = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
    return isinstance(name, str) and _project_module(name)


@functools.cache
def _project_module(name: str) -> bool:
    if name.partition(".")[0] == "django_bolt":
        return False
    path = getattr(sys.modules.get(name), "__file__", None)
    if not path:
        return False  # built in, or not a plain module
    path = os.path.realpath(path)
    return not any(path.startswith(root) for root in _library_roots())


@functools.cache
def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {os.path.realpath(paths[k]) + os.sep for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    roots.update(os.path.realpath(p) + os.sep for p in site.getsitepackages() + [site.getusersitepackages()])
    return tuple(roots)


def _project_callees(code: types.CodeType, names: dict[str, Any]) -> list[Any]:
    """The project's functions that ``code`` names as a global, or as an attribute of a
    project module it names (``helpers.owner_of(...)``), and of the project's classes it
    names the methods it also names (and their constructors): a model class named for a
    query does not bring in every method of the model."""
    out: list[Any] = []
    for name in code.co_names:
        obj = names.get(name)
        if isinstance(obj, types.ModuleType) and _project(obj):
            out.extend(a for n in code.co_names if (a := getattr(obj, n, None)) is not None and _callable_code(a))
        elif obj is not None and _callable_code(obj):
            out.append(obj)
    flat: list[Any] = []
    called = {*code.co_names, *_CONSTRUCTION}
    for obj in out:
        if isinstance(obj, type):  # the methods this code names (Service(request).owner())
            flat.extend(
                inspect.unwrap(f)
                for klass in obj.__mro__
                if _project(klass)
                for n, f in vars(klass).items()
                if n in called and inspect.isfunction(f)
            )
        else:
            flat.append(inspect.unwrap(obj))
    return flat


#: Methods a class runs when it is called (made or, for an instance, invoked).
_CONSTRUCTION = ("__init__", "__new__", "__post_init__", "__call__")


def _callable_code(obj: Any) -> bool:
    return (inspect.isfunction(obj) or isinstance(obj, type)) and _project(obj)


def _with_user(endpoint: Callable[..., Any], request_arg: str | None, backends: list[Any]) -> Callable[..., Any]:
    """Load the user before the handler (django-bolt's behaviour): ``request.user`` is then a
    plain value in async code, the user or ``None`` when the request carries none. Without
    a request argument the request is the one the dependencies get (``request_arg`` None:
    the route has dependencies, so the binder passes its RequestData)."""
    by_name = {b.scheme_name: b for b in reversed(backends)}

    async def call(**kwargs: Any) -> Any:
        request: Request = kwargs[request_arg] if request_arg is not None else kwargs[DATA_KEY].get_request()
        await preload_user(request, by_name, backends[0])
        return await endpoint(**kwargs)

    call.__wrapped__ = endpoint  # type: ignore[attr-defined]
    return call


async def preload_user(request: Request, by_name: dict[str, Any], default: Any) -> None:
    """Set ``request.user`` from the context's ``user_id`` through the authenticating
    backend's ``get_user`` (a user some earlier step already loaded is kept)."""
    if request.has_user():
        kept = request._cache["user"]
        if kept is None or getattr(kept, "is_authenticated", False):
            return
        # AnonymousUser, cached by a session backend that looked and found nobody: on auth
        # routes an anonymous request's user is None (django-bolt's behaviour), as without it.
    context = request.context or {}
    user_id = context.get("user_id")
    user = None
    if user_id is not None:
        backend = by_name.get(context.get("auth_backend") or "", default)
        user = await backend.get_user(user_id, context)
    request.user = user


async def _revoked(context: dict[str, Any], stores: list[Any]) -> bool:
    jti = (context.get("auth_claims") or {}).get("jti")
    if not jti:
        return True  # require_jti: a token without an id cannot be checked
    for store in stores:
        if await store.is_revoked(jti):
            return True
    return False


def server_config(routes: Sequence[Route]) -> dict[str, Any]:
    """The auth part of the Go config: each backend once, each route by index."""
    backends: list[Any] = []
    index: dict[int, int] = {}
    metadata: list[dict[str, Any]] = []
    route_auth: dict[str, Any] = {}
    for i, r in enumerate(routes):
        chosen_backends = r.extra.get("auth") or []
        guards = r.extra.get("guards") or []
        if not chosen_backends and not any(is_builtin(g) for g in guards):
            continue
        ids = []
        for b in chosen_backends:
            if id(b) not in index:
                index[id(b)] = len(backends)
                backends.append(b)
                metadata.append(b.to_metadata())
            ids.append(index[id(b)])
        route_auth[str(i)] = {
            "backends": ids,
            "guards": [g.to_metadata() for g in guards if is_builtin(g)],
            "deferred": needs_python(chosen_backends, guards),
        }
    out: dict[str, Any] = {}
    if metadata:
        out["auth_backends"] = metadata
    if route_auth:
        out["route_auth"] = route_auth
    return out
