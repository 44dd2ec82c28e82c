"""Response classes, for when a handler needs a status, headers, cookies or a media type::

    return JSON({"id": 1}, status_code=201, headers={"Location": "/items/1"})
    return Redirect("/login")
    return HTML("<h1>hi</h1>")

Plain return values need none of this: dict/list/Struct/Pydantic/dataclass become JSON,
``str`` text and ``bytes`` an octet stream.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import AsyncIterable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self
from urllib.parse import quote

from ._runtime.jsonenc import json_encode
from .cookies import Cookie, make_delete_cookie

__all__ = [
    "HTML",
    "JSON",
    "EventSourceResponse",
    "File",
    "FileResponse",
    "PlainText",
    "Redirect",
    "Response",
    "ServerSentEvent",
    "StreamingResponse",
]

SameSite = Literal["lax", "strict", "none", "Lax", "Strict", "None"]

#: Headers a ``text/event-stream`` StreamingResponse gets (unless given): no caching
#: anywhere, and no buffering in nginx, so each event reaches the client when sent.
SSE_HEADERS = {
    "cache-control": "no-cache, no-store, must-revalidate",
    "x-accel-buffering": "no",
    "pragma": "no-cache",
    "expires": "0",
}


class Response:
    """Raw content with a status, headers and a media type (``content`` bytes or str)."""

    media_type: str | None = None

    def __init__(
        self,
        content: Any = b"",
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        self.content = content
        self.status_code = status_code
        self.headers: dict[str, str] = dict(headers or {})
        if media_type is not None:
            self.media_type = media_type
        elif type(content) is dict or type(content) is list:
            self.media_type = "application/json"  # django-bolt: Response(content=dict) is JSON
        self.cookies: list[str] = []

    def render(self) -> bytes:
        """The body bytes (subclasses encode their content here)."""
        c = self.content
        if isinstance(c, bytes):
            return c
        if isinstance(c, str):
            return c.encode()
        if isinstance(c, (bytearray, memoryview)):
            return bytes(c)
        if isinstance(c, (dict, list)):
            return json_encode(c)
        raise TypeError(f"Response content must be bytes or str, not {type(c).__name__}; use JSON(...) for data")

    def set_cookie(
        self,
        key: str = "",
        value: str = "",
        max_age: int | None = None,
        expires: datetime.datetime | str | int | None = None,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: SameSite | Literal[False] | None = "lax",
        *,
        name: str | None = None,
    ) -> Self:
        """Add a ``Set-Cookie`` header (several cookies may be set); returns the response,
        so calls chain. ``samesite`` False or None leaves the attribute out. The cookie's
        name is ``key`` (Django's) or ``name`` (django-bolt's)."""
        key = _cookie_name(key, name)
        cookie = Cookie(key, value, max_age, expires, path, domain, secure, httponly, samesite)
        self.cookies.append(cookie.to_header_value())
        return self

    def delete_cookie(
        self, key: str = "", path: str = "/", domain: str | None = None, *, name: str | None = None
    ) -> Self:
        """Expire a cookie in the client; returns the response."""
        self.cookies.append(make_delete_cookie(_cookie_name(key, name), path, domain).to_header_value())
        return self


def _cookie_name(key: str, name: str | None) -> str:
    if name is not None and key:
        raise TypeError("give the cookie's name once: key= or name=")
    chosen = key or name
    if not chosen:
        raise TypeError("a cookie needs a name")
    return chosen


class JSON(Response):
    """Data encoded as JSON with msgspec (Structs, Pydantic models and dataclasses too).
    The first argument is ``data`` (django-bolt's name) or ``content``."""

    media_type = "application/json"

    def __init__(
        self,
        data: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        *,
        content: Any = None,
    ) -> None:
        # Speed: Response.__init__ written out here (JSON(...) is what handlers return when
        # they set a status); a super() call would add a frame per response.
        self.content = content if data is None else data
        self.status_code = status_code
        self.headers = dict(headers) if headers else {}
        if media_type is not None:
            self.media_type = media_type
        self.cookies = []

    def render(self) -> bytes:
        return json_encode(self.content)


class PlainText(Response):
    """Text; the first argument is ``text`` (django-bolt's name) or ``content``."""

    media_type = "text/plain; charset=utf-8"

    def __init__(
        self,
        text: str | bytes = b"",
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        *,
        content: str | bytes | None = None,
    ) -> None:
        super().__init__(text if content is None else content, status_code, headers, media_type)


class HTML(Response):
    """HTML; the first argument is ``html`` (django-bolt's name) or ``content``."""

    media_type = "text/html; charset=utf-8"

    def __init__(
        self,
        html: str | bytes = b"",
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        *,
        content: str | bytes | None = None,
    ) -> None:
        super().__init__(html if content is None else content, status_code, headers, media_type)


class Redirect(Response):
    """A redirect to ``url`` (307 by default: the method and body are kept)."""

    def __init__(self, url: str, status_code: int = 307, headers: Mapping[str, str] | None = None) -> None:
        if not 300 <= status_code <= 399:
            raise ValueError(f"a redirect status is 3xx, not {status_code}")
        super().__init__(b"", status_code, _with_defaults(headers, {"Location": url}, override=True))


class FileResponse(Response):
    """A file sent by Go straight from disk: Range requests (206), ``Last-Modified`` and
    ``If-Modified-Since`` (304), content type from the extension unless ``media_type`` is
    given. ``filename`` adds ``Content-Disposition`` (``attachment`` by default, or
    ``content_disposition_type="inline"``).

    The path must be a regular file, inside ``DJANGO_BOLT["FILE_RESPONSE_ROOTS"]`` when that
    is set; otherwise the answer is 404. Never build the path from user input unchecked.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        filename: str | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        content_disposition_type: Literal["attachment", "inline"] = "attachment",
    ) -> None:
        super().__init__(b"", status_code, headers, media_type)
        self.path = os.fspath(path)
        if filename is not None:
            quoted = quote(filename)
            value = f"{content_disposition_type}; filename*=utf-8''{quoted}"
            if filename.isascii() and '"' not in filename:
                value = f'{content_disposition_type}; filename="{filename}"'
            self.headers = _with_defaults(self.headers, {"Content-Disposition": value})


class File(FileResponse):
    """django-bolt's name for a file download: a FileResponse (sent by Go from disk)."""


#: What a StreamingResponse accepts: an async or sync generator/iterable of str or bytes.
StreamContent = AsyncIterable[Any] | Iterable[Any]


class StreamingResponse(Response):
    """A body sent piece by piece as the generator yields (chunked transfer encoding).

    ``content`` is an async generator (or any async iterable), or a sync generator/iterable;
    it yields ``str`` (UTF-8) or ``bytes``. A sync generator runs in a thread pool so it
    never blocks the event loop. Go writes each chunk as soon as it arrives and flow control
    keeps a slow client from making the generator run ahead of it. When the client goes
    away the generator is closed (``GeneratorExit`` at its ``yield``: use ``try/finally``
    to release resources). An exception in the generator is logged and the connection is
    closed after what was sent, so the client sees an incomplete body.
    """

    media_type = "application/octet-stream"

    def __init__(
        self,
        content: StreamContent,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        if isinstance(content, (str, bytes)):
            content = [content]
        super().__init__(b"", status_code, headers, media_type)
        self.stream = content
        if media_type is not None and media_type.startswith("text/event-stream"):
            given = {k.lower() for k in self.headers}
            self.headers.update({k: v for k, v in SSE_HEADERS.items() if k not in given})

    def render(self) -> bytes:
        raise TypeError("a StreamingResponse has no body to render; Go streams it")


@dataclass
class ServerSentEvent:
    """One Server-Sent Event with the optional ``event``, ``id``, ``retry`` (ms) and
    ``comment`` fields. ``data`` that is not a ``str`` is sent as JSON."""

    data: Any = None
    event: str | None = None
    id: str | int | None = None
    retry: int | None = None
    comment: str | None = None


class EventSourceResponse(StreamingResponse):
    """Server-Sent Events (``text/event-stream``) from a generator.

    Each yielded item becomes one event: a ``ServerSentEvent`` as it is, a ``str`` as its
    data, anything else (dict, list, Struct, ...) as JSON data. Multi-line data is split
    into several ``data:`` lines. A ``: ping`` comment goes out whenever the generator has
    been quiet for ``ping_interval`` seconds (``None``: never), which keeps proxies from
    timing the connection out and lets the server notice a client that went away. The
    response carries ``Cache-Control: no-cache`` and ``X-Accel-Buffering: no`` (nginx would
    otherwise buffer the events).
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        content: StreamContent,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        ping_interval: float | None = 15.0,
    ) -> None:
        base = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        super().__init__(content, status_code, _with_defaults(headers, base))
        if ping_interval is not None and ping_interval <= 0:
            raise ValueError(f"ping_interval must be positive seconds or None, got {ping_interval!r}")
        self.ping_interval = ping_interval


def _with_defaults(
    headers: Mapping[str, str] | None, defaults: dict[str, str], override: bool = False
) -> dict[str, str]:
    """``headers`` plus ``defaults`` (our own names, in canonical case: "Location",
    "Cache-Control"), matched case-insensitively so a user's "cache-control" replaces ours
    instead of going out beside it; with ``override`` ours replace the user's."""
    given = dict(headers or {})
    lower = {name.lower(): name for name in given}
    for name, value in defaults.items():
        if name.lower() in lower:
            if not override:
                continue
            del given[lower[name.lower()]]
        given[name] = value
    return given
