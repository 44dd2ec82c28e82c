"""Running an ASGI application for a request Go handed over: Django's own handler (the
fallback for paths no API route matches) and apps mounted with ``api.mount_asgi``.

Go marks these routes with FlagASGI: the record's query section is the raw query string
and its extra section carries the client address. The app's messages are collected into
one response (status, headers as the app sent them, the body chunks joined).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from typing import Any, TypeVar

from .._native.wire import CT_JSON, CT_NONE, FLAG_ASGI, FLAG_HEADERS, METHOD_NAMES
from .._routing.route import METHODS, Route
from .._runtime.encoding import Encoded, Prepared
from ..exceptions import BoltConfigError
from .scope import build_scope, client_of, header_list

T = TypeVar("T")
ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]

#: Method of the fallback route; never sent to Go's router (config "fallback" instead).
FALLBACK_METHOD = "ANY"
#: Framing is Go's business: these from an app would contradict what Go writes.
_HOP_BY_HOP = frozenset({b"content-length", b"transfer-encoding", b"connection", b"keep-alive"})
NOT_FOUND: Encoded = (404, CT_JSON, b"", b'{"detail":"Not Found"}')


async def call_asgi(app: ASGIApp, scope: dict[str, Any], body: bytes) -> Encoded:
    """Run one request through ``app`` and collect its response."""
    finished = asyncio.Event()
    body_sent = False
    status = 500
    headers: list[bytes] = []
    chunks: list[bytes] = []
    started = False

    async def receive() -> dict[str, Any]:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        # The whole body was delivered; a later receive() is an app waiting for the client
        # to go away (Django listens for it while the view runs). Answer once we are done.
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, started
        kind = message["type"]
        if kind == "http.response.start":
            started = True
            status = int(message["status"])
            for name, value in message.get("headers", ()):
                if bytes(name).lower() not in _HOP_BY_HOP:
                    headers.extend((bytes(name), bytes(value)))
        elif kind == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                finished.set()

    try:
        await app(scope, receive, send)
    finally:
        finished.set()
    if not started:
        raise RuntimeError("the ASGI application returned without sending http.response.start")
    return status, CT_NONE, b"\0".join(headers), b"".join(chunks)


async def in_task(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` in a Task of its own with a fresh, empty context: Django's ASGI handler
    (and the middleware chain) then sets up its own ThreadSensitiveContext per request, as
    under any ASGI server, instead of running in the ORM pool of the API handlers."""
    return await asyncio.get_running_loop().create_task(coro, context=contextvars.Context())


def raw_binder(
    method: int, path: bytes, params: bytes, query: bytes, headers: bytes, body: bytes, extra: bytes
) -> dict[str, Any]:
    """A binder that hands the record's pieces as they are to an endpoint's ``raw``."""
    return {"raw": (method, path, params, query, headers, body, extra)}


def asgi_endpoint(
    app: ASGIApp, root_path: str, accept: Callable[[str], bool] | None = None
) -> Callable[..., Awaitable[Prepared]]:
    """The handler of an ASGI route. ``accept(path)`` False answers a JSON 404 without
    calling the app (the Django fallback uses it for paths no URL pattern matches)."""

    async def endpoint(raw: tuple[int, bytes, bytes, bytes, bytes, bytes, bytes]) -> Prepared:
        method, path, _params, query, headers, body, extra = raw
        if accept is not None and not accept(path.decode("utf-8", "surrogateescape")):
            return Prepared(NOT_FOUND)
        scope = build_scope(METHOD_NAMES[method], path, query, header_list(headers), client_of(extra), root_path)
        return Prepared(await in_task(call_asgi(app, scope, body)))

    return endpoint


def asgi_route(method: str, path: str, endpoint: Callable[..., Any], name: str) -> Route:
    """A Route whose binder hands the raw record pieces to ``endpoint``."""
    return Route(
        method=method,
        path=path,
        handler=endpoint,
        endpoint=endpoint,
        params=[],
        binder=raw_binder,
        name=name,
        flags=FLAG_HEADERS | FLAG_ASGI,  # headers copied, raw query, client address
        extra={"include_in_schema": False},
    )


def mount_routes(prefix: str, app: Any, root_path: str | None = None) -> list[Route]:
    """Routes for everything below ``prefix``, every method, answered by ``app`` (which
    sees ``root_path``, the prefix unless given)."""
    if not prefix.startswith("/") or prefix.endswith("/") or any(c in prefix for c in "{}?#"):
        raise BoltConfigError(
            f"mount_asgi prefix {prefix!r} must start with '/', not end with '/', and be a plain path"
        )
    if not callable(app):
        raise BoltConfigError(f"mount_asgi({prefix!r}, ...) needs an ASGI application (a callable), got {app!r}")
    endpoint = asgi_endpoint(app, prefix if root_path is None else root_path)
    name = f"mount_asgi {prefix}"
    # The catch-all alone answers "prefix/" and below; "prefix" itself is redirected to
    # "prefix/" by the router (a second route for it would conflict with the catch-all).
    return [asgi_route(m, prefix + "/{path:path}", endpoint, name) for m in METHODS]
