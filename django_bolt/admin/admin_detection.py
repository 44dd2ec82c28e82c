"""Whether, and where, the Django admin is served (django-bolt's names, our fallback)."""

from __future__ import annotations

import os
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string

from .._django.prepare import ENV_NO_ADMIN, admin_prefix
from ..conf import load_settings

__all__ = [
    "ADMIN_METHODS",
    "detect_admin_url_prefix",
    "get_admin_info",
    "get_admin_route_patterns",
    "get_static_url_prefix",
    "is_admin_installed",
    "should_enable_admin",
]

#: The methods the admin's routes take (the fallback takes every method).
ADMIN_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def is_admin_installed() -> bool:
    """``django.contrib.admin`` is in INSTALLED_APPS."""
    return apps.is_installed("django.contrib.admin")


def _has_session_middleware() -> bool:
    from django.contrib.sessions.middleware import SessionMiddleware  # noqa: PLC0415 - lazy: only when asked

    for path in getattr(settings, "MIDDLEWARE", None) or ():
        try:
            cls = import_string(path)
        except ImportError:
            continue  # Django reports it at the first request
        if isinstance(cls, type) and issubclass(cls, SessionMiddleware):
            return True
    return False


def should_enable_admin() -> bool:
    """The admin is served: installed with auth and contenttypes, a SessionMiddleware in
    MIDDLEWARE (what its login needs), and neither ``runbolt --no-admin`` nor
    ``DJANGO_BOLT["ADMIN"] = False`` nor ``DJANGO_BOLT["DJANGO_FALLBACK"] = False``."""
    if not is_admin_installed() or os.environ.get(ENV_NO_ADMIN):
        return False
    if not (apps.is_installed("django.contrib.auth") and apps.is_installed("django.contrib.contenttypes")):
        return False
    conf = load_settings()
    return conf.ADMIN and conf.DJANGO_FALLBACK and _has_session_middleware()


def detect_admin_url_prefix() -> str | None:
    """The admin's prefix without slashes (``"admin"``), from ROOT_URLCONF; None when the
    admin is not installed or not routed (django-bolt guesses ``"admin"`` then)."""
    if not is_admin_installed():
        return None
    prefix = admin_prefix()
    return prefix.strip("/") if prefix else None


def get_admin_route_patterns() -> list[tuple[str, list[str]]]:
    """The admin's paths as route patterns, for information: the fallback serves them."""
    prefix = detect_admin_url_prefix()
    if not prefix:
        return []
    return [(f"/{prefix}", ADMIN_METHODS), (f"/{prefix}/", ADMIN_METHODS), (f"/{prefix}/{{path:path}}", ADMIN_METHODS)]


def get_static_url_prefix() -> str | None:
    """STATIC_URL without slashes (``"static"``), or None when unset."""
    url = getattr(settings, "STATIC_URL", None)
    return str(url).strip("/") or None if url else None


def get_admin_info() -> dict[str, Any]:
    return {
        "installed": is_admin_installed(),
        "enabled": should_enable_admin(),
        "url_prefix": detect_admin_url_prefix(),
        "static_url": get_static_url_prefix(),
    }
