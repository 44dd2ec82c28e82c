"""Registration of WebSocket routes (``@api.websocket``): which argument is the socket,
and a handler shim that the ordinary parameter plans can bind.

A WebSocket route is a GET route with ``FLAG_WEBSOCKET``: Go checks the upgrade and sends
the request as a KIND_WS_OPEN record, and the route's binder binds path, query, header and
cookie arguments exactly as for HTTP. The socket argument is planned as the request
argument (the shim renames it to ``request``); the runtime puts the ``WebSocket`` there.
"""

from __future__ import annotations

import functools
import inspect
import logging
import typing
from collections.abc import Callable
from typing import Any

from .._native.wire import FLAG_HEADERS, FLAG_WEBSOCKET
from ..exceptions import BoltConfigError
from ..request import Request
from .route import Route

#: The name the socket argument has in the shim's signature (the plans' request source).
SHIM_NAME = "request"
#: Argument names taken to be the socket without an annotation.
SOCKET_NAMES = ("websocket", "ws", "socket")


def _is_socket_annotation(tp: Any) -> bool:
    return (
        isinstance(tp, type)
        and getattr(tp, "__name__", "") == "WebSocket"
        and tp.__module__.startswith("django_bolt.websocket")
    )


def socket_shim(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with its socket argument renamed to ``request`` (plans bind it as the
    request argument); start-up errors for a handler that is not ``async def`` or has no
    socket argument."""
    where = f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"
    if not inspect.iscoroutinefunction(func):
        raise BoltConfigError(f"{where}: WebSocket handlers must be `async def`")
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except NameError as exc:
        raise BoltConfigError(f"{where}: cannot resolve its type hints ({exc})") from exc
    sig = inspect.signature(func)
    socket = next((p.name for p in sig.parameters.values() if _is_socket_annotation(hints.get(p.name))), None)
    if socket is None:
        socket = next((p.name for p in sig.parameters.values() if p.name in SOCKET_NAMES), None)
    if socket is None:
        raise BoltConfigError(f"{where}: a WebSocket handler needs a `websocket: WebSocket` argument")
    if socket != SHIM_NAME and SHIM_NAME in sig.parameters:
        raise BoltConfigError(f"{where}: a WebSocket handler cannot also take a `{SHIM_NAME}` argument")
    params = [p.replace(name=SHIM_NAME, annotation=Request) if p.name == socket else p for p in sig.parameters.values()]

    @functools.wraps(func)
    async def shim(**kwargs: Any) -> Any:
        if socket != SHIM_NAME:
            kwargs[socket] = kwargs.pop(SHIM_NAME)
        return await func(**kwargs)

    annotations = {(SHIM_NAME if k == socket else k): v for k, v in hints.items() if k != "return"}
    annotations[SHIM_NAME] = Request
    del shim.__wrapped__  # plans must see the shim's signature
    shim.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    shim.__annotations__ = annotations
    return shim


def mark_socket_route(route: Route) -> None:
    """Turn a GET route registered for a shim into a WebSocket route."""
    route.flags |= FLAG_WEBSOCKET | FLAG_HEADERS
    route.extra["websocket_param"] = SHIM_NAME
    route.extra["include_in_schema"] = False


def warn_socket_groups(routes: list[Route], workers: int) -> None:
    """Groups live in each worker's Go hub: with several workers and no broker, a broadcast
    reaches only the members connected to the worker that sent it. Say so at start-up."""
    if workers > 1 and any(r.flags & FLAG_WEBSOCKET for r in routes):
        # Printed once, by the supervisor (the parent process), hence its logger.
        logging.getLogger("django_bolt.supervisor").warning(
            "WebSocket groups are per worker: %d workers and no broker, so a broadcast reaches only "
            "the sockets of the worker that sends it (run --workers 1 for a single hub; see "
            "docs/websockets.md)",
            workers,
        )
