"""django-bolt's ``ASGIFallbackHandler``: one request through Django's ASGI handler.

``runbolt`` does this already for every request no API route matches (the fallback); this
class is for code that called the bridge itself, e.g. a handler that renders a Django view
in-process::

    bridge = ASGIFallbackHandler()
    status, headers, body = await bridge.handle_request(
        {"method": "GET", "path": "/admin/login/", "query_string": "next=/admin/", "headers": {}, "body": b""}
    )

``request`` is a django-bolt request dict (``method``, ``path``, ``query_string`` or a
``query`` dict, ``headers``, ``body``, optional ``client``) or one of our ``Request``
objects. Headers come back as ``(name, value)`` string pairs, in the order Django sent them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from .._django.asgi import ASGIApp, call_asgi, in_task
from .._django.scope import build_scope
from ..request import Request

__all__ = ["ASGIFallbackHandler"]


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return str(value).encode("latin-1")


class ASGIFallbackHandler:
    """Runs requests through Django's ASGI application (``get_asgi_application()``,
    created on first use). ``server_host``/``server_port`` become the scope's ``server``."""

    def __init__(self, server_host: str = "127.0.0.1", server_port: int = 8000, app: ASGIApp | None = None) -> None:
        self.server_host = server_host
        self.server_port = server_port
        self._app = app

    def _application(self) -> ASGIApp:
        if self._app is None:
            from django.core.asgi import get_asgi_application  # noqa: PLC0415 - lazy: Django's handler loads on first use

            app: ASGIApp = get_asgi_application()  # type: ignore[assignment]  # Django's handler is one
            self._app = app
        return self._app

    def build_scope(self, request: Any) -> tuple[dict[str, Any], bytes]:
        """The ASGI scope and body for ``request`` (a dict or a ``Request``)."""
        query: Any
        if isinstance(request, Request):
            method, path, query = request.method, request.path, request.query_string
            headers: Mapping[str, Any] = request.headers
            body, client = request.body, None
        elif isinstance(request, Mapping):
            method = str(request.get("method", "GET")).upper()
            path = str(request.get("path", "/"))
            query = request.get("query_string")
            if query is None:
                query = urlencode(request.get("query") or {}, doseq=True)
            headers = request.get("headers") or {}
            body = _as_bytes(request.get("body") or b"")
            client = request.get("client")
        else:
            raise TypeError(f"handle_request takes a request dict or a Request, got {type(request).__name__}")
        pairs = [(_as_bytes(k).lower(), _as_bytes(v)) for k, v in headers.items()]
        scope = build_scope(method, path.encode("utf-8"), _as_bytes(query), pairs, tuple(client) if client else None)
        scope["server"] = (self.server_host, self.server_port)
        return scope, body

    async def handle_request(self, request: Any) -> tuple[int, list[tuple[str, str]], bytes]:
        """Run ``request`` through Django; ``(status, headers, body)``."""
        scope, body = self.build_scope(request)
        status, _ctype, block, content = await in_task(call_asgi(self._application(), scope, body))
        items = block.split(b"\0") if block else []
        headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in zip(items[::2], items[1::2])]
        return status, headers, content
