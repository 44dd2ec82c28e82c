"""The request object handed to handlers that declare a ``request`` (or ``req``) parameter.

Everything is decoded lazily from the raw record bytes: a handler that never reads the
headers never pays for parsing them.
"""

from __future__ import annotations

from typing import Any

_METHODS = ("", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def split_pairs(block: str) -> list[str]:
    """Split a NUL-joined ``k\\0v\\0k\\0v`` block (as sent by Go) into a flat list."""
    return block.split("\0") if block else []


class Request:
    """One HTTP request. Attribute and ``request["key"]`` access both work."""

    __slots__ = ("_method", "_path", "_query", "_headers", "body", "path_params", "state", "_cache")

    def __init__(
        self,
        method: int,
        path: bytes,
        query: str,
        headers: bytes,
        body: bytes,
        path_params: dict[str, Any],
    ) -> None:
        self._method = method
        self._path = path
        self._query = query
        self._headers = headers
        self.body = body
        self.path_params = path_params
        self.state: dict[str, Any] = {}
        self._cache: dict[str, Any] = {}

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
            h = {}
            items = split_pairs(self._headers.decode("latin-1"))
            for name, value in zip(items[::2], items[1::2]):
                h[name] = f"{h[name]}, {value}" if name in h else value
            self._cache["headers"] = h
        return h

    def get_full_path(self) -> str:
        from urllib.parse import urlencode

        items = split_pairs(self._query)
        qs = urlencode(list(zip(items[::2], items[1::2])))
        return f"{self.path}?{qs}" if qs else self.path

    def __getitem__(self, key: str) -> Any:
        if key == "params":
            return self.path_params
        if key in self.__slots__ or key in ("method", "path", "query", "headers"):
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}>"
