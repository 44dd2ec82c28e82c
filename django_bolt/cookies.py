"""Response cookies as values: ``Cookie(...)`` and ``make_delete_cookie(...)``.

``Response.set_cookie``/``delete_cookie`` are the usual way; a ``Cookie`` is for code that
builds cookies apart from a response (``response.cookies.append(c.to_header_value())``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from email.utils import format_datetime
from http.cookies import SimpleCookie
from typing import Literal

__all__ = ["Cookie", "make_delete_cookie"]


@dataclass
class Cookie:
    """One ``Set-Cookie``. ``samesite="Lax"`` by default; ``False``/``None`` leaves the
    attribute out."""

    name: str
    value: str = ""
    max_age: int | None = None
    expires: datetime.datetime | str | int | None = None
    path: str | None = "/"
    domain: str | None = None
    secure: bool = False
    httponly: bool = False
    samesite: Literal["Lax", "Strict", "None", "lax", "strict", "none", False] | None = "Lax"

    def to_header_value(self) -> str:
        """The ``Set-Cookie`` header value (name, value and attributes)."""
        jar: SimpleCookie = SimpleCookie()
        jar[self.name] = self.value
        morsel = jar[self.name]
        if self.max_age is not None:
            morsel["max-age"] = self.max_age
        expires = self.expires
        if expires is not None:
            if isinstance(expires, datetime.datetime):
                if expires.tzinfo is None:
                    expires = expires.replace(tzinfo=datetime.UTC)
                expires = format_datetime(expires.astimezone(datetime.UTC), usegmt=True)
            morsel["expires"] = expires
        if self.path:
            morsel["path"] = self.path
        if self.domain:
            morsel["domain"] = self.domain
        if self.secure:
            morsel["secure"] = True
        if self.httponly:
            morsel["httponly"] = True
        if self.samesite:
            morsel["samesite"] = str(self.samesite).capitalize()
        return morsel.OutputString()

    def to_raw_tuple(self) -> tuple[bytes, bytes]:
        """``(b"set-cookie", value)``, as ASGI headers carry it."""
        return b"set-cookie", self.to_header_value().encode("latin-1")


def make_delete_cookie(name: str, path: str = "/", domain: str | None = None) -> Cookie:
    """A cookie that makes the client drop ``name`` (empty, expired, max-age 0)."""
    return Cookie(name, "", max_age=0, expires="Thu, 01 Jan 1970 00:00:00 GMT", path=path, domain=domain)
