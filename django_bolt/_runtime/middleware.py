"""Python middleware at request time: the base classes users subclass, the built-in ones,
and the innermost step of a chain (bind the arguments, run the handler, make a Response).

The chain itself is put together once per route at start-up (``_routing/middleware.py``);
a route without Python middleware never reaches this module.

A middleware is Django-shaped: ``cls(get_response)`` once, then ``await instance(request)``
per request, returning a ``Response``; ``await self.get_response(request)`` runs the rest
of the chain and the handler. Exceptions raised by the handler travel up through the
chain (so a middleware can catch them) and are answered as usual when none does.
"""

from __future__ import annotations

import inspect
import logging
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar, Protocol, runtime_checkable

from .._native.wire import CONTENT_TYPES, CT_JSON, CT_NONE
from .._routing.route import Route
from ..exceptions import HTTPException, RequestValidationError
from ..request import Request, RequestData, split_pairs
from ..responses import JSON, Response
from .binding import DATA_KEY, bind_all, compile_extractors
from .encoding import Encoded, encode_result, header_block
from .jsonenc import json_encode

__all__ = [
    "BaseMiddleware",
    "ErrorHandlerMiddleware",
    "GetResponse",
    "Middleware",
    "MiddlewareProtocol",
    "TimingMiddleware",
    "chain_endpoint",
    "encode_chain_json",
    "to_response",
    "untouched",
]

#: What a middleware is given: the rest of the chain.
GetResponse = Callable[[Request], Awaitable[Response]]


@runtime_checkable
class MiddlewareProtocol(Protocol):
    """Anything built as ``cls(get_response)`` and awaited as ``instance(request)``."""

    def __init__(self, get_response: GetResponse) -> None: ...

    async def __call__(self, request: Request) -> Response: ...


class Middleware(ABC):
    """Base class: override ``process_request`` and call ``await self.get_response(request)``
    in it to go on (or return a Response of your own to answer early)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    @abstractmethod
    async def process_request(self, request: Request) -> Response:
        """Handle one request; return the response."""

    async def __call__(self, request: Request) -> Response:
        return await self.process_request(request)


def _excluded_prefixes(paths: Iterable[str] | None) -> tuple[frozenset[str], tuple[str, ...]]:
    """``exclude_paths``: an entry ending in ``/*`` covers everything below it, others match
    exactly."""
    exact, prefixes = set(), []
    for p in paths or ():
        if p.endswith("/*"):
            prefixes.append(p[:-1])
        else:
            exact.add(p)
    return frozenset(exact), tuple(prefixes)


class BaseMiddleware(Middleware):
    """A Middleware that steps aside for ``exclude_paths`` (exact, or ``"/prefix/*"``) and
    ``exclude_methods`` (e.g. ``["OPTIONS"]``), given as class attributes."""

    exclude_paths: ClassVar[list[str] | None] = None
    exclude_methods: ClassVar[list[str] | None] = None

    def __init__(self, get_response: GetResponse) -> None:
        super().__init__(get_response)
        # Compiled once per route's chain, not per request.
        self._exact, self._prefixes = _excluded_prefixes(self.exclude_paths)
        self._methods = frozenset(m.upper() for m in self.exclude_methods or ())
        #: whether any exclusion is configured (when none, the chain skips __call__)
        self.excludes = bool(self._methods or self._exact or self._prefixes)

    def skips(self, request: Request) -> bool:
        """Whether this request bypasses the middleware."""
        if self._methods and request.method in self._methods:
            return True
        if self._exact or self._prefixes:
            path = request.path
            return path in self._exact or path.startswith(self._prefixes)
        return False

    async def __call__(self, request: Request) -> Response:
        if self.excludes and self.skips(request):
            return await self.get_response(request)
        return await self.process_request(request)


class TimingMiddleware(BaseMiddleware):
    """Adds ``X-Response-Time`` (milliseconds, 3 decimals) and puts the start time
    (``time.perf_counter()``) in ``request.state["request_start_time"]``."""

    header_name = "X-Response-Time"

    async def process_request(self, request: Request) -> Response:
        start = time.perf_counter()
        request.state["request_start_time"] = start
        response = await self.get_response(request)
        response.headers[self.header_name] = f"{(time.perf_counter() - start) * 1000:.3f}ms"
        return response


class ErrorHandlerMiddleware(BaseMiddleware):
    """Turns an exception raised below it into a JSON 500 (the traceback in the body when
    ``debug``); ``HTTPException`` and validation errors keep their usual answers."""

    def __init__(self, get_response: GetResponse, debug: bool = False) -> None:
        super().__init__(get_response)
        self.debug = debug

    async def process_request(self, request: Request) -> Response:
        try:
            return await self.get_response(request)
        except (HTTPException, RequestValidationError):
            raise
        except Exception as exc:
            logging.getLogger("django_bolt").exception("%s %s: unhandled exception", request.method, request.path)
            body: dict[str, Any] = {"detail": "Internal Server Error"}
            if self.debug:
                body["traceback"] = traceback.format_exception(exc)
            return JSON(body, status_code=500)


class ChainJSON(JSON):
    """A handler's plain dict or list inside a middleware chain: a JSON response whose
    headers, cookies and status middleware may change. Speed: made with two attribute
    sets; ``headers`` and ``cookies`` are created on first use, so an instance whose
    ``__dict__`` still holds only those two was not touched, and the dispatcher encodes the
    plain value on its fast path (``untouched``). They are properties, not ``__getattr__``:
    a missed attribute raises (and formats) an AttributeError before ``__getattr__`` runs,
    ~1 us per first use (bench/pymiddleware_micro.py, "stamp")."""

    def __init__(self, content: Any, status_code: int) -> None:
        self.content = content
        self.status_code = status_code

    @property
    def headers(self) -> dict[str, str]:
        made: dict[str, str] | None = self.__dict__.get("_headers")
        if made is None:
            made = self.__dict__["_headers"] = {}
        return made

    @headers.setter
    def headers(self, value: dict[str, str]) -> None:
        self.__dict__["_headers"] = value

    @property
    def cookies(self) -> list[str]:
        made: list[str] | None = self.__dict__.get("_cookies")
        if made is None:
            made = self.__dict__["_cookies"] = []
        return made

    @cookies.setter
    def cookies(self, value: list[str]) -> None:
        self.__dict__["_cookies"] = value


def to_response(result: Any, status: int) -> Response:
    """A handler's return value as a Response middleware can read and change."""
    kind = type(result)
    if kind is dict or kind is list:
        return ChainJSON(result, status)  # encoded once, after the chain
    if isinstance(result, Response):
        return result
    code, ctype, block, body = encode_result(result, status)
    items = split_pairs(block.decode("latin-1"))
    response = Response(body, code, media_type=None if ctype == CT_NONE else CONTENT_TYPES.get(ctype))
    for name, value in zip(items[::2], items[1::2]):
        if name.lower() == "set-cookie":
            response.cookies.append(value)
        else:
            response.headers[name] = value
    return response


Raw = tuple[int, bytes, bytes, bytes, bytes, bytes, bytes]

#: Builds the chain's outermost link from its innermost one (``_routing/middleware.py``).
Wrap = Callable[[Callable[[Request], Awaitable[Response]]], Callable[[Request], Any]]

_new = object.__new__


class ChainRequest(Request):
    """The Request of a route with Python middleware whose handler takes no request: it
    also carries the raw record pieces (``_raw``), which the chain's innermost step binds
    the handler's arguments from."""

    __slots__ = ("_raw",)
    _raw: Raw


#: Every slot chain binders set on a ChainRequest made without ``__init__`` (below); checked
#: at import so that a slot added to Request cannot be left unset here.
_CHAIN_SLOTS = frozenset({"_method", "_path", "_query", "_headers", "body", "path_params", "state", "_extra", "_cache"})
if frozenset(Request.__slots__) != _CHAIN_SLOTS:  # pragma: no cover - a guard for future edits
    raise RuntimeError(f"_runtime/middleware.py sets {sorted(_CHAIN_SLOTS)}; Request has {sorted(Request.__slots__)}")


def untouched(response: Any, status: int) -> bool:
    """Whether ``response`` is a chain's ``ChainJSON`` that no middleware changed: the
    dispatcher then encodes its plain content on the JSON fast path."""
    return type(response) is ChainJSON and len(response.__dict__) == 2 and response.status_code == status


def encode_chain_json(response: ChainJSON) -> Encoded | None:
    """A ChainJSON that middleware changed, encoded as ``encode_response`` would; None when
    its media type was changed too (the general path handles that)."""
    made = response.__dict__
    if "media_type" in made:
        return None
    cookies = made.get("_cookies")
    extra = [("set-cookie", c) for c in cookies] if cookies else None
    return response.status_code, CT_JSON, header_block(made.get("_headers"), extra), json_encode(response.content)


def chain_endpoint(
    route: Route, wrap: Wrap, passthrough: bool = False
) -> tuple[Callable[..., dict[str, Any]], Callable[..., Any]]:
    """The binder and endpoint of a route with Python middleware.

    The binder makes the Request the chain sees (none of the handler's arguments is bound
    yet: a validation error travels up through the middleware); the endpoint is the
    chain's outermost link itself, called with that Request, so the dispatcher drives the
    first middleware's coroutine directly; the innermost step binds the handler's
    arguments (the same Request object when it takes one), runs the handler and makes a
    Response. A ``ChainJSON`` nobody changed is encoded by the dispatcher's JSON fast path
    (``untouched``). With ``passthrough`` (no middleware of the chain reads the response:
    ``_routing/passthrough.py``) and no response model, the innermost step is a plain
    function returning the handler's own coroutine: the handler's value goes up the chain
    and to the dispatcher as it is, exactly as on a route without middleware.

    Speed (issue 18: a no-op middleware must cost <= 1 us on the Python thread; each step
    measured with bench/pymiddleware_micro.py, the real dispatcher's drain): no coroutine
    of our own around the chain; the Request and the ChainJSON made with ``object.__new__``
    and attribute stores (a Python ``__init__`` call costs ~0.2 us more); the raw record in
    a slot, not in ``_cache``; one innermost step per kind of route, without branches."""
    endpoint, status = route.endpoint, route.status_code
    output = route.outputs.get(status)
    shares = any(a.source in ("request", "depends") for a in route.params)
    binder = route.binder
    path_args = [(a.key, a.name) for a in route.params if a.source == "path"]

    def respond(result: Any) -> Response:
        kind = type(result)
        if output is None and (kind is dict or kind is list):
            response = _new(ChainJSON)
            response.content = result
            response.status_code = status
            return response
        if output is not None and not isinstance(result, Response):
            result = output(result)
        return to_response(result, status)

    get_response: Callable[[Request], Awaitable[Any]]
    if passthrough and output is None:
        get_response = _passing(route)
    elif shares:
        extractors = compile_extractors(route.params)
        has_deps = any(a.source == "depends" for a in route.params)

        async def get_response(request: Request) -> Response:
            data = request._cache["data"]
            kwargs = bind_all(extractors, data)
            if has_deps:
                kwargs[DATA_KEY] = data
            return respond(await endpoint(**kwargs))

    elif binder is None:

        async def get_response(request: Request) -> Response:
            result = await endpoint()
            if output is None and (type(result) is dict or type(result) is list):
                response = _new(ChainJSON)
                response.content = result
                response.status_code = status
                return response
            return respond(result)

    elif len(path_args) == 1:
        ((path_key, path_name),) = path_args

        async def get_response(request: Request) -> Response:
            kwargs = binder(*request._raw)
            request.path_params[path_key] = kwargs[path_name]
            result = await endpoint(**kwargs)
            if output is None and (type(result) is dict or type(result) is list):
                response = _new(ChainJSON)
                response.content = result
                response.status_code = status
                return response
            return respond(result)

    elif path_args:

        async def get_response(request: Request) -> Response:
            kwargs = binder(*request._raw)
            for key, name in path_args:
                request.path_params[key] = kwargs[name]
            return respond(await endpoint(**kwargs))

    else:

        async def get_response(request: Request) -> Response:
            result = await endpoint(**binder(*request._raw))
            if output is None and (type(result) is dict or type(result) is list):
                response = _new(ChainJSON)
                response.content = result
                response.status_code = status
                return response
            return respond(result)

    chain = wrap(get_response)
    key = _keyword_of(chain)
    if key is None:
        key = "request"

        def call(request: Request) -> Any:
            return chain(request)

        outer: Callable[..., Any] = call
    else:
        outer = chain

    if shares:

        def bind_shared(
            method: int, path: bytes, params: bytes, query: bytes, headers: bytes, body: bytes, extra: bytes
        ) -> dict[str, Any]:
            return {key: RequestData(method, path, params, query, headers, body, extra).get_request()}

        return bind_shared, outer

    def bind(
        method: int, path: bytes, params: bytes, query: bytes, headers: bytes, body: bytes, extra: bytes
    ) -> dict[str, Any]:
        request = _new(ChainRequest)
        request._method = method
        request._path = path
        request._query = query.decode() if query else ""
        request._headers = headers
        request.body = body
        request.path_params = {}
        request.state = {}
        request._extra = extra
        request._cache = {}
        request._raw = (method, path, params, query, headers, body, extra)
        return {key: request}

    if binder is None:  # nothing to bind later: no raw record to keep

        def bind_bare(
            method: int, path: bytes, params: bytes, query: bytes, headers: bytes, body: bytes, extra: bytes
        ) -> dict[str, Any]:
            request = _new(ChainRequest)
            request._method = method
            request._path = path
            request._query = query.decode() if query else ""
            request._headers = headers
            request.body = body
            request.path_params = {}
            request.state = {}
            request._extra = extra
            request._cache = {}
            return {key: request}

        return bind_bare, outer
    return bind, outer


def _passing(route: Route) -> Callable[[Request], Awaitable[Any]]:
    """The innermost step of a pass-through chain: bind, then return the handler's
    coroutine itself (no frame of ours between the middleware and the handler)."""
    endpoint, binder = route.endpoint, route.binder
    path_args = [(a.key, a.name) for a in route.params if a.source == "path"]
    if any(a.source in ("request", "depends") for a in route.params):
        extractors = compile_extractors(route.params)
        has_deps = any(a.source == "depends" for a in route.params)

        def shared(request: Request) -> Awaitable[Any]:
            data = request._cache["data"]
            kwargs = bind_all(extractors, data)
            if has_deps:
                kwargs[DATA_KEY] = data
            return endpoint(**kwargs)  # type: ignore[no-any-return]

        return shared
    if binder is None:

        def bare(request: Request) -> Awaitable[Any]:
            return endpoint()  # type: ignore[no-any-return]

        return bare
    if path_args:

        def with_path(request: Request) -> Awaitable[Any]:
            kwargs = binder(*request._raw)
            for key, name in path_args:
                request.path_params[key] = kwargs[name]
            return endpoint(**kwargs)  # type: ignore[no-any-return]

        return with_path

    def bound(request: Request) -> Awaitable[Any]:
        return endpoint(**binder(*request._raw))  # type: ignore[no-any-return]

    return bound


def _keyword_of(link: Callable[..., Any]) -> str | None:
    """The name by which ``link`` takes the request as a keyword (its one parameter), or
    None when it cannot (positional-only, ``*args``, or more parameters): the endpoint is
    then a plain function that passes it positionally."""
    try:
        params = list(inspect.signature(link).parameters.values())
    except (TypeError, ValueError):
        return None
    if len(params) != 1 or params[0].kind not in (params[0].POSITIONAL_OR_KEYWORD, params[0].KEYWORD_ONLY):
        return None
    return params[0].name
