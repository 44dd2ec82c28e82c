"""Django-style shortcuts for handlers.

``render`` renders a Django template into an HTML response, as django-bolt's does (on the
calling thread); ``arender`` does the same in a worker thread, for templates that read the
disk or run queries::

    @api.get("/page")
    async def page(request):
        return render(request, "page.html", {"title": "Hi"})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asgiref.sync import sync_to_async
from django.template import loader

from ._django.scope import as_django_request
from .enums import MediaType
from .responses import HTML, Response

__all__ = ["arender", "render"]


def render(
    request: Any,
    template_name: str | list[str],
    context: Mapping[str, Any] | None = None,
    content_type: str | None = None,
    status: int = 200,
    using: str | None = None,
) -> Response:
    """Render ``template_name`` with ``context`` into an HTML response (``content_type``
    overrides the media type; ``using`` names the template engine)."""
    django_request = _django_request(request)
    text = loader.render_to_string(template_name, dict(context or {}), django_request, using=using)
    if content_type is None or content_type == MediaType.HTML:
        return HTML(text, status_code=status)
    return Response(text, status_code=status, media_type=content_type)


async def arender(
    request: Any,
    template_name: str | list[str],
    context: Mapping[str, Any] | None = None,
    content_type: str | None = None,
    status: int = 200,
    using: str | None = None,
) -> Response:
    """``render`` in a worker thread."""
    return await sync_to_async(render, thread_sensitive=False)(
        request, template_name, context, content_type, status, using
    )


def _django_request(request: Any) -> Any:
    """A Django HttpRequest for the template context processors (csrf_token, user...)."""
    if request is None or not hasattr(request, "_cache"):
        return request
    return as_django_request(request)
