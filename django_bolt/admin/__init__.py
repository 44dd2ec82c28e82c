"""django-bolt's ``django_bolt.admin``: the Django admin and static files next to the API.

Here the admin needs no routes of its own: every request no API route matches goes to
Django's ASGI handler (the fallback, docs/django.md), which serves the admin at whatever
prefix ROOT_URLCONF gives it, and Go serves STATIC_URL (and MEDIA_URL) from disk. These
names are kept so django-bolt code that imports them runs unchanged:

- ``admin_detection``: ``is_admin_installed``, ``should_enable_admin``,
  ``detect_admin_url_prefix``, ``get_admin_route_patterns``, ``get_static_url_prefix``,
  ``get_admin_info``;
- ``asgi_bridge``: ``ASGIFallbackHandler(server_host, server_port).handle_request(request)``
  runs one request through Django's ASGI handler and returns ``(status, headers, body)``;
- ``static``: ``find_static_file``, ``guess_content_type``, ``serve_static_file``,
  ``register_static_routes``.

Django's admin autodiscovery imports this module (``django_bolt`` is an installed app with
an ``admin`` module), so importing it registers nothing and loads nothing heavy.
"""

from __future__ import annotations

from .admin_detection import (
    detect_admin_url_prefix,
    get_admin_info,
    get_admin_route_patterns,
    get_static_url_prefix,
    is_admin_installed,
    should_enable_admin,
)
from .asgi_bridge import ASGIFallbackHandler
from .static import find_static_file, guess_content_type, register_static_routes, serve_static_file

__all__ = [
    "ASGIFallbackHandler",
    "detect_admin_url_prefix",
    "find_static_file",
    "get_admin_info",
    "get_admin_route_patterns",
    "get_static_url_prefix",
    "guess_content_type",
    "is_admin_installed",
    "register_static_routes",
    "serve_static_file",
    "should_enable_admin",
]
