"""``request.session``, ``request.user`` / ``await request.auser()`` and CSRF for
session-authenticated requests, the way Django's SessionMiddleware,
AuthenticationMiddleware and CsrfViewMiddleware provide them, without a Django request.

Everything is lazy: a handler that never touches ``request.session`` or the user costs
nothing, and the session is read from the store only when first used.
"""

from __future__ import annotations

import asyncio
import functools
import time
from importlib import import_module
from typing import Any

from asgiref.sync import async_to_sync
from django.apps import apps
from django.conf import settings
from django.core.exceptions import SynchronousOnlyOperation
from django.utils.functional import SimpleLazyObject

from ..exceptions import Forbidden
from .scope import as_django_request

#: Methods that never need a CSRF token (RFC 9110 9.2.1 safe methods).
_SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def sessions_installed() -> bool:
    return apps.is_installed("django.contrib.sessions")


def session_of(request: Any) -> Any:
    """The request's session (a ``SessionStore`` from ``settings.SESSION_ENGINE``); nothing
    is read from the store until it is used (use the async API: ``await s.aget(k)``)."""
    s = request._cache.get("session")
    if s is None:
        if not sessions_installed():
            raise RuntimeError("request.session needs 'django.contrib.sessions' in INSTALLED_APPS")
        store = import_module(settings.SESSION_ENGINE).SessionStore
        s = request._cache["session"] = store(request.cookies.get(settings.SESSION_COOKIE_NAME))
    return s


def _anonymous() -> Any:
    from django.contrib.auth.models import AnonymousUser  # noqa: PLC0415 - needs django.setup() (auth models)

    return AnonymousUser()


def _source(request: Any) -> str:
    """Where the user comes from: Go authentication ("context"), the session cookie, or
    nowhere ("anonymous", no query at all)."""
    if request.context.get("user_id") is not None:
        return "context"
    if sessions_installed() and settings.SESSION_COOKIE_NAME in request.cookies:
        return "session"
    return "anonymous"


async def auser(request: Any) -> Any:
    """The authenticated user or ``AnonymousUser``, loaded once per request. A user that
    comes from the session cookie on an unsafe method must pass the CSRF check (403)."""
    user = request._cache.get("user")
    if user is not None:
        return user
    source = _source(request)
    if source == "context":
        from django.contrib.auth import get_user_model  # noqa: PLC0415 - lazy: Django's auth loads only when a user is needed

        model = get_user_model()
        user = await model._default_manager.filter(pk=request.context["user_id"]).afirst() or _anonymous()
    elif source == "session":
        from django.contrib.auth import aget_user  # noqa: PLC0415 - lazy: Django's auth loads only when a user is needed

        user = await aget_user(request)
        if user.is_authenticated:
            enforce_csrf(request)
    else:
        user = _anonymous()
    request._cache["user"] = user
    return user


def user(request: Any) -> Any:
    """``request.user``: the user ``auser()`` loaded, or a lazy object that loads it with
    the sync ORM when first touched (from async code, ``await request.auser()`` first)."""
    if "user" in request._cache:  # loaded, set, or preloaded (None: no user, on auth routes)
        return request._cache["user"]
    if _source(request) == "anonymous":
        cached = request._cache["user"] = _anonymous()
        return cached
    return SimpleLazyObject(lambda: _load_sync(request))


def _load_sync(request: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a thread (sync_to_thread handler): run the async loader
        return async_to_sync(auser)(request)
    raise SynchronousOnlyOperation(
        "request.user needs a database query, which cannot run on the event loop: "
        "use `user = await request.auser()` (request.user is that user afterwards)"
    )


def enforce_csrf(request: Any) -> None:
    """Django's CsrfViewMiddleware checks (Origin/Referer, token from the form field or the
    X-CSRFToken header against the cookie) for an unsafe method; 403 when they fail."""
    if request.method in _SAFE or request._cache.get("csrf_exempt"):
        return
    dj = as_django_request(request)
    check = _csrf_check()
    check.process_request(dj)
    reason = check.process_view(dj, _no_view, (), {})
    if reason:
        raise Forbidden(f"CSRF Failed: {reason}")


def _no_view(request: Any) -> Any:
    """Stands in for the view in CsrfViewMiddleware; it is never called."""


@functools.cache
def _csrf_check() -> Any:
    """Django's CsrfViewMiddleware, returning the reason instead of a 403 page (made once)."""
    from django.middleware.csrf import CsrfViewMiddleware  # noqa: PLC0415 - lazy: only for CSRF checks

    class Check(CsrfViewMiddleware):
        def _reject(self, request: Any, reason: str) -> Any:
            return reason

    return Check(_no_view)


async def response_cookies(request: Any, status: int) -> list[tuple[str, str]]:
    """Headers to add after the handler: the session cookie when the session changed (as
    SessionMiddleware.process_response) and the CSRF cookie when ``alogin`` rotated it."""
    from django.http import HttpResponse  # noqa: PLC0415 - lazy: only when a session or CSRF cookie is set
    from django.utils.http import http_date  # noqa: PLC0415 - lazy: only when a session cookie is set

    out = HttpResponse()
    headers: list[tuple[str, str]] = []
    s = request._cache.get("session")
    if s is not None:
        name = settings.SESSION_COOKIE_NAME
        if name in request.cookies and s.is_empty():
            out.delete_cookie(
                name, path=settings.SESSION_COOKIE_PATH, domain=settings.SESSION_COOKIE_DOMAIN,
                samesite=settings.SESSION_COOKIE_SAMESITE,
            )  # fmt: skip
        elif (s.modified or settings.SESSION_SAVE_EVERY_REQUEST) and not s.is_empty() and status < 500:
            if await s.aget_expire_at_browser_close():
                max_age, expires = None, None
            else:
                max_age = await s.aget_expiry_age()
                expires = http_date(time.time() + max_age)
            await s.asave()
            out.set_cookie(
                name, s.session_key, max_age=max_age, expires=expires, domain=settings.SESSION_COOKIE_DOMAIN,
                path=settings.SESSION_COOKIE_PATH, secure=settings.SESSION_COOKIE_SECURE,
                httponly=settings.SESSION_COOKIE_HTTPONLY, samesite=settings.SESSION_COOKIE_SAMESITE,
            )  # fmt: skip
        if s.accessed:
            headers.append(("vary", "Cookie"))
    meta = request._cache.get("META")
    if meta is not None and meta.get("CSRF_COOKIE_NEEDS_UPDATE"):
        out.set_cookie(
            settings.CSRF_COOKIE_NAME, meta["CSRF_COOKIE"], max_age=settings.CSRF_COOKIE_AGE,
            domain=settings.CSRF_COOKIE_DOMAIN, path=settings.CSRF_COOKIE_PATH,
            secure=settings.CSRF_COOKIE_SECURE, httponly=settings.CSRF_COOKIE_HTTPONLY,
            samesite=settings.CSRF_COOKIE_SAMESITE,
        )  # fmt: skip
    headers.extend(("set-cookie", m.OutputString()) for m in out.cookies.values())
    return headers
