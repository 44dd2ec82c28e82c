"""The request object handed to handlers that declare a ``request`` (or ``req``) parameter.

Everything is decoded lazily from the raw record bytes: a handler that never reads the
headers never pays for parsing them. ``RequestData`` holds those raw pieces; the argument
binder (``_runtime/binding.py``) and ``Request`` share it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin

import msgspec

from ._django import session as _session
from ._native.wire import METHOD_NAMES
from .datastructures import UploadFile, build_files

_ABSENT: Any = object()
_METHODS = METHOD_NAMES


def parse_cookies(header: str) -> dict[str, str]:
    """Cookie header -> {name: value}; a malformed header counts as no cookies, as in browsers."""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return {}
    return {k: m.value for k, m in jar.items()}


def parse_headers(raw: bytes) -> dict[str, str]:
    """Go's ``name\0value\0...`` header block -> {lower-case name: value}; repeated
    headers are joined with ", " (RFC 9110 5.3)."""
    return header_dict(split_pairs(raw.decode("latin-1")))


def header_dict(items: list[str]) -> dict[str, str]:
    """``[name, value, ...]`` -> {name: value}, repeated names joined with ", "."""
    # Speed: one dict() call; the joining loop only runs when a name repeats.
    headers = dict(zip(items[::2], items[1::2]))
    if 2 * len(headers) == len(items):
        return headers
    headers = {}
    for name, value in zip(items[::2], items[1::2]):
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def split_pairs(block: str) -> list[str]:
    """Split a NUL-joined ``k\\0v\\0k\\0v`` block (as sent by Go) into a flat list."""
    return block.split("\0") if block else []


class RequestData:
    """The raw pieces of one request, decoded on first use and shared by all extractors."""

    __slots__ = (
        "method", "path", "raw_params", "raw_query", "raw_headers", "body", "extra", "_cache", "request", "deps",
        "path_params",
    )  # fmt: skip

    def __init__(
        self,
        method: int,
        path: bytes,
        raw_params: bytes,
        raw_query: bytes,
        raw_headers: bytes,
        body: bytes,
        extra: bytes = b"",
    ) -> None:
        self.method = method
        self.path = path
        self.raw_params = raw_params
        self.raw_query = raw_query
        self.raw_headers = raw_headers
        self.body = body
        self.extra = extra
        self._cache: dict[str, Any] = {}
        self.request: Request | None = None
        self.deps: dict[Any, Any] = {}
        self.path_params: dict[str, Any] = {}

    def path_values(self) -> list[str]:
        v = self._cache.get("path")
        if v is None:
            v = self._cache["path"] = self.raw_params.decode().split("\0")
        return v

    def query_items(self) -> list[str]:
        v = self._cache.get("qitems")
        if v is None:
            v = self._cache["qitems"] = split_pairs(self.raw_query.decode())
        return v

    def query(self) -> dict[str, str]:
        v = self._cache.get("query")
        if v is None:
            items = self.query_items()
            v = self._cache["query"] = dict(zip(items[::2], items[1::2]))
        return v

    def headers(self) -> dict[str, str]:
        v = self._cache.get("headers")
        if v is None:
            v = self._cache["headers"] = parse_headers(self.raw_headers)
        return v

    def header_items(self) -> list[str]:
        return split_pairs(self.raw_headers.decode("latin-1"))

    def cookies(self) -> dict[str, str]:
        v = self._cache.get("cookies")
        if v is None:
            v = self._cache["cookies"] = parse_cookies(self.headers().get("cookie", ""))
        return v

    def extra_object(self) -> dict[str, Any]:
        v = self._cache.get("extra")
        if v is None:
            v = self._cache["extra"] = msgspec.json.decode(self.extra) if self.extra else {}
        return v

    def form_items(self) -> list[tuple[str, str]]:
        """Form fields: parsed by Go (urlencoded or multipart) for routes that take them."""
        v = self._cache.get("form")
        if v is None:
            parsed = self.extra_object().get("form")
            if parsed is not None:
                v = [(k, val) for k, val in parsed]
            elif self.headers().get("content-type", "").lower().startswith("application/x-www-form-urlencoded"):
                v = parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)
            else:
                v = []
            self._cache["form"] = v
        return v

    def files(self) -> list[tuple[str, UploadFile]]:
        v = self._cache.get("files")
        if v is None:
            v = self._cache["files"] = build_files(self.extra_object().get("files") or [], self.body)
        return v

    def json_object(self) -> Any:
        """The body decoded as untyped JSON (embedded body arguments read their keys from it).
        A body that is not JSON raises DECODE_ERRORS once, then _ReportedError."""
        v = self._cache.get("json", _UNSET)
        if v is _UNSET:
            self._cache["json"] = _REPORTED
            v = self._cache["json"] = msgspec.json.decode(self.body)
        elif v is _REPORTED:
            raise _ReportedError
        return v

    def get_request(self) -> Request:
        if self.request is None:
            self.request = Request(
                self.method,
                self.path,
                self.raw_query.decode(),
                self.raw_headers,
                self.body,
                self.path_params,
                self.extra,
            )
            self.request._cache["data"] = self  # request.form / request.files share the parse
        return self.request


_UNSET: Any = object()
_REPORTED: Any = object()


class _ReportedError(Exception):
    """The body failed to decode and another argument already reported it."""


class Request:
    """One HTTP request. Attribute and ``request["key"]`` access both work."""

    __slots__ = ("_method", "_path", "_query", "_headers", "body", "path_params", "state", "_extra", "_cache")

    def __init__(
        self,
        method: int,
        path: bytes,
        query: str,
        headers: bytes,
        body: bytes,
        path_params: dict[str, Any],
        extra: bytes = b"",
    ) -> None:
        self._method = method
        self._path = path
        self._query = query
        self._headers = headers
        self.body = body
        self.path_params = path_params
        self.state: dict[str, Any] = {}
        self._extra = extra
        self._cache: dict[str, Any] = {}

    @property
    def extra(self) -> dict[str, Any]:
        """What Go middleware attached to this request (package libbolt/extra), decoded on
        first use; empty when nothing was attached."""
        x = self._cache.get("extra")
        if x is None:
            x = self._cache["extra"] = msgspec.json.decode(self._extra) if self._extra else {}
        return x

    @property
    def context(self) -> dict[str, Any]:
        """What authentication put here (e.g. validated JWT claims); empty without auth."""
        c = self._cache.get("context")
        if c is None:
            c = self._cache["context"] = dict(self.extra.get("context") or {})
        return c

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        self._cache["context"] = value

    def _data(self) -> Any:
        """The binder's RequestData for this request (form and file parsing share it)."""
        d = self._cache.get("data")
        if d is None:
            d = RequestData(self._method, self._path, b"", self._query.encode(), self._headers, self.body, self._extra)
            self._cache["data"] = d
        return d

    @property
    def form(self) -> dict[str, str]:
        """Form fields of an urlencoded or multipart body, parsed by Go (last value wins)."""
        return dict(self._data().form_items())

    @property
    def files(self) -> dict[str, Any]:
        """Uploaded files of a multipart body: field name -> ``UploadFile`` (the last one
        for a repeated name)."""
        return dict(self._data().files())

    @property
    def session(self) -> Any:
        """The Django session (``settings.SESSION_ENGINE``) named by the session cookie,
        read lazily; use its async API (``await request.session.aget("k")``)."""
        return _session.session_of(self)

    @property
    def user(self) -> Any:
        """The user (``AnonymousUser`` when nobody is logged in). Loading it is a query: in
        async handlers call ``await request.auser()`` first, except on routes with ``auth=``
        backends whose handler reads ``request.user``: it is loaded before the handler there
        (``None`` when the request carries no user), as in django-bolt."""
        return _session.user(self)

    @user.setter
    def user(self, value: Any) -> None:
        self._cache["user"] = value

    def has_user(self) -> bool:
        """Whether ``request.user`` is already a value (loaded or set), not yet to be loaded."""
        return "user" in self._cache

    @property
    def auser(self) -> Callable[[], Awaitable[Any]]:
        """``await request.auser()``: the user, from Go authentication (``context["user_id"]``)
        or the session cookie; a session user on POST/PUT/PATCH/DELETE must pass Django's
        CSRF checks (403)."""
        replaced = self._cache.get("auser")
        return replaced if replaced is not None else self._load_user

    @auser.setter
    def auser(self, value: Callable[[], Awaitable[Any]]) -> None:
        # Django 6.0's alogin/alogout assign request.auser (a function returning the new user).
        self._cache["auser"] = value

    async def _load_user(self) -> Any:
        return await _session.auser(self)

    @property
    def method(self) -> str:
        return _METHODS[self._method]

    @property
    def path(self) -> str:
        return self._path.decode("utf-8", "surrogateescape")

    @property
    def query(self) -> dict[str, str]:
        """Query parameters; for a repeated key the last value wins (see ``query_list``)."""
        q = self._cache.get("query")
        if q is None:
            items = split_pairs(self._query)
            q = self._cache["query"] = dict(zip(items[::2], items[1::2]))
        return q

    def query_list(self, key: str) -> list[str]:
        items = split_pairs(self._query)
        return [items[i + 1] for i in range(0, len(items), 2) if items[i] == key]

    @property
    def headers(self) -> dict[str, str]:
        """Request headers with lower-case names (repeated headers joined with ", ")."""
        h = self._cache.get("headers")
        if h is None:
            h = self._cache["headers"] = parse_headers(self._headers)
        return h

    @property
    def id(self) -> str:
        """The request id: the client's ``X-Request-ID`` when valid (1-128 visible ASCII
        characters), else one Go generated. Go sends it back in the response's
        ``X-Request-ID`` header."""
        return self.headers.get("x-request-id", "")

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies sent by the client (a malformed Cookie header counts as none)."""
        c = self._cache.get("cookies")
        if c is None:
            c = self._cache["cookies"] = parse_cookies(self.headers.get("cookie", ""))
        return c

    @property
    def META(self) -> dict[str, str]:  # noqa: N802 - Django's name
        """A Django-style META dict (``HTTP_X_CUSTOM``, ``REQUEST_METHOD``, ``QUERY_STRING``...)."""
        meta = self._cache.get("META")
        if meta is None:
            meta = {"REQUEST_METHOD": self.method, "PATH_INFO": self.path, "QUERY_STRING": self.query_string}
            meta["SCRIPT_NAME"] = ""
            host = self.headers.get("host", "")
            name, sep, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
            if not sep:
                name, port = host, "80"
            meta["SERVER_NAME"], meta["SERVER_PORT"] = name or "localhost", port
            if self.body:
                meta["CONTENT_LENGTH"] = str(len(self.body))
            client = self.extra.get("client")
            if client:  # attached by Go for the routes that need it (mounted ASGI apps)
                meta["REMOTE_ADDR"], meta["REMOTE_PORT"] = str(client[0]), str(client[1])
            for name, value in self.headers.items():
                key = name.upper().replace("-", "_")
                meta[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
            self._cache["META"] = meta
        return meta

    @property
    def query_string(self) -> str:
        """The query string as the client sent it (``META["QUERY_STRING"]``): Go attaches it
        for routes whose handler or middleware takes the request; elsewhere (a request made
        for a guard or a test) it is re-encoded from the decoded pairs."""
        raw = self.extra.get("query_string") if self._extra else None
        if isinstance(raw, str):
            return raw
        items = split_pairs(self._query)
        return urlencode(list(zip(items[::2], items[1::2])))

    def build_absolute_uri(self, location: str | None = None) -> str:
        """``http://host/path?query`` from the Host header (or an absolute URI for location)."""
        host = self.headers.get("host", "localhost")
        base = f"http://{host}{self.get_full_path()}"
        return urljoin(base, location) if location is not None else base

    def get_full_path(self) -> str:
        qs = self.query_string
        return f"{self.path}?{qs}" if qs else self.path

    def __getitem__(self, key: str) -> Any:
        if key == "params":
            return self.path_params
        if key == "auth":
            return self.context or None
        if key in (
            "body", "path_params", "state", "context", "method", "path", "query", "headers", "cookies", "form", "files"
        ):  # fmt: skip
            return getattr(self, key)
        raise KeyError(key)

    def __contains__(self, key: str) -> bool:
        return self.get(key, _ABSENT) is not _ABSENT

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}>"

    def __getattr__(self, name: str) -> Any:
        """Unknown attributes read ``request.state`` (what middleware stored), as in
        django-bolt: ``request.state["tenant"] = t`` then ``request.tenant``."""
        if name.startswith("__") or name in Request.__slots__:
            raise AttributeError(name)
        try:
            return self.state[name]
        except KeyError:
            raise AttributeError(f"'Request' object has no attribute {name!r}") from None

    def __class_getitem__(cls, params: Any) -> type[Request]:
        """``Request[User, Claims, State]`` in annotations (django-bolt's generic form) is
        the request object; the parameters document types only. Returning the class itself
        keeps the registration check (``annotation is Request``) one identity test."""
        return cls
