"""The ``Route`` record: one registered operation, as registration compiled it.

The lowest layer of the package: the runtime, the Django bridge, the server lifecycle and
the OpenAPI generator all pass Routes around, and this module imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._native.wire import FLAG_HEADERS, FLAG_MULTIPART
from ..compression import CompressionConfig
from .plans import BODYLESS_METHODS, ArgPlan, needs_form, needs_headers

if TYPE_CHECKING:
    from .._runtime.binding import Binder

#: The methods a route may be registered for.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "QUERY")


@dataclass
class Route:
    """One registered operation."""

    method: str
    path: str
    handler: Callable[..., Any]  # the user's function, as written
    endpoint: Callable[..., Any]  # what is called per request (async)
    params: list[ArgPlan]
    binder: Binder | None
    status_code: int = 200
    name: str = ""
    flags: int = 0
    #: status -> converter that validates and shapes a plain return value (response_model)
    outputs: dict[int, Callable[[Any], Any]] = field(default_factory=dict)
    #: set when the routes of an API are collected: exception type -> handler(request, exc)
    exception_handlers: dict[type[BaseException], Callable[..., Any]] = field(default_factory=dict)
    #: documentation-only options (tags, summary, description, ...), for OpenAPI
    extra: dict[str, Any] = field(default_factory=dict)
    #: set when the routes of an API are collected: its compression policy (None: off)
    compression: CompressionConfig | None = field(default_factory=CompressionConfig)
    #: Python middleware of the routers this route was registered through, outermost
    #: first (the API's and the handler's own are added when the chain is compiled)
    middleware: list[Any] = field(default_factory=list)


def route_flags(method: str, params: list[ArgPlan]) -> int:
    """The flags Go needs for a handler route with these parameters (``FLAG_*`` of wire)."""
    flags = FLAG_HEADERS if needs_headers(params) else 0
    if method not in BODYLESS_METHODS and needs_form(params):
        flags |= FLAG_MULTIPART
    return flags
