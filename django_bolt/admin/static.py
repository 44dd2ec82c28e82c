"""django-bolt's static-file helpers. Go serves STATIC_URL itself (STATIC_ROOT, and with
``--dev`` or DEBUG the staticfiles finders' directories; docs/django.md), so nothing needs
these to serve the admin's CSS; they remain for code that calls them."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.utils._os import safe_join

from ..exceptions import HTTPException
from ..responses import FileResponse

if TYPE_CHECKING:
    from ..api import BoltAPI

__all__ = ["find_static_file", "guess_content_type", "register_static_routes", "serve_static_file"]


def find_static_file(path: str) -> str | None:
    """The absolute path of static file ``path`` ("admin/css/base.css"): from STATIC_ROOT,
    else through the staticfiles finders; None when missing or when ``path`` would leave
    its directory."""
    if not path or "\0" in path:
        return None
    root = getattr(settings, "STATIC_ROOT", None)
    try:
        if root:
            candidate = safe_join(str(root), path)
            if os.path.isfile(candidate):
                return candidate
        if apps.is_installed("django.contrib.staticfiles"):
            from django.contrib.staticfiles import finders  # noqa: PLC0415 - lazy: only when looked up

            found = finders.find(path)
            if isinstance(found, str) and os.path.isfile(found):
                return found
    except (SuspiciousFileOperation, ValueError):
        return None
    return None


def guess_content_type(file_path: str) -> str:
    """The media type for a file name (``application/octet-stream`` when unknown)."""
    return mimetypes.guess_type(file_path)[0] or "application/octet-stream"


async def serve_static_file(path: str) -> FileResponse:
    """A ``FileResponse`` for static file ``path``; 404 when there is none. The file must be
    inside ``DJANGO_BOLT["FILE_RESPONSE_ROOTS"]`` when that is set."""
    found = find_static_file(path)
    if found is None:
        raise HTTPException(404, "Static file not found")
    return FileResponse(found, media_type=guess_content_type(found))


def register_static_routes(api: BoltAPI, static_url: str | None = None) -> Callable[..., Any] | None:
    """Add ``GET /<static_url>/{path:path}`` to ``api``, answered by ``serve_static_file``.
    Where Go serves STATIC_URL (STATIC_ROOT set, or ``--dev``) it answers first; the route
    serves the finders' files otherwise. Returns the handler (None without STATIC_URL)."""
    prefix = (static_url if static_url is not None else str(getattr(settings, "STATIC_URL", "") or "")).strip("/")
    if not prefix:
        return None

    async def serve_static(path: str) -> FileResponse:
        return await serve_static_file(path)

    api.get(f"/{prefix}/{{path:path}}", include_in_schema=False)(serve_static)
    return serve_static
