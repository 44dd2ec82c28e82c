"""ASGI scopes and Django requests built from our records and requests: what the ASGI
routes and Django middleware hand to Django, and what CSRF checks run on.

Go sends headers as a ``name\\0value\\0...`` block with lower-case names; ASGI wants pairs.
"""

from __future__ import annotations

import io
from typing import Any

import msgspec


def header_list(raw: bytes) -> list[tuple[bytes, bytes]]:
    """Go's ``name\\0value\\0...`` block (lower-case names) as ASGI header pairs."""
    if not raw:
        return []
    items = raw.split(b"\0")
    return list(zip(items[::2], items[1::2]))


def build_scope(
    method: str,
    path: bytes,
    query: bytes,
    headers: list[tuple[bytes, bytes]],
    client: tuple[str, int] | None,
    root_path: str = "",
) -> dict[str, Any]:
    """An ASGI 3 ``http`` scope. ``path`` is the full (decoded) path, root_path included,
    which both Django and Starlette expect."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path.decode("utf-8", "surrogateescape"),
        "raw_path": path,
        "query_string": query,
        "root_path": root_path,
        "headers": headers,
        "client": client,
        "server": None,
        "state": {},
    }


def client_of(extra: bytes) -> tuple[str, int] | None:
    if not extra:
        return None
    c = msgspec.json.decode(extra).get("client")
    return (str(c[0]), int(c[1])) if c else None


def as_django_request(request: Any) -> Any:
    """A Django ``HttpRequest`` (an ``ASGIRequest``) for one of our requests, made once per
    request and only when something needs it (CSRF checks, Django middleware)."""
    # django.core.handlers.asgi imports Django's request machinery: only when first needed.
    from django.core.handlers.asgi import ASGIRequest  # noqa: PLC0415

    cached = request._cache.get("django_request")
    if cached is None:
        scope = build_scope(
            request.method,
            request._path,
            request.query_string.encode(),
            header_list(request._headers),
            client_of(request._extra),
        )
        cached = request._cache["django_request"] = ASGIRequest(scope, io.BytesIO(request.body))
    return cached
