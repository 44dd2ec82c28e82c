"""Django-style shortcuts for handlers, as ``django.shortcuts`` has for views.

``aget_object_or_404(Product, pk=product_id)`` returns the object or raises ``Http404``, which
the server answers with 404 ``{"detail": "Not found."}`` (so does an uncaught
``Product.DoesNotExist``). The first argument may be a model, a manager or a QuerySet.

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
from django.db.models import QuerySet
from django.http import Http404
from django.template import loader

from ._django.scope import as_django_request
from .enums import MediaType
from .responses import HTML, Response

__all__ = ["aget_list_or_404", "aget_object_or_404", "arender", "render"]


def _queryset(klass: Any) -> QuerySet[Any]:
    if isinstance(klass, QuerySet):
        return klass
    manager = getattr(klass, "_default_manager", klass)
    if not hasattr(manager, "all"):
        raise TypeError(f"first argument must be a model, a manager or a QuerySet, not {klass!r}")
    queryset: QuerySet[Any] = manager.all()
    return queryset


async def aget_object_or_404(klass: Any, *args: Any, **kwargs: Any) -> Any:
    """The one object matching the lookup, or Http404 (404 ``{"detail": "Not found."}``).

    More than one match raises the model's ``MultipleObjectsReturned`` (a 500), as Django's
    ``get_object_or_404`` does.
    """
    queryset = _queryset(klass)
    try:
        return await queryset.aget(*args, **kwargs)
    except queryset.model.DoesNotExist:
        raise Http404(f"No {queryset.model._meta.object_name} matches the given query.") from None


async def aget_list_or_404(klass: Any, *args: Any, **kwargs: Any) -> list[Any]:
    """The list of objects matching the filter, or Http404 when it is empty."""
    queryset = _queryset(klass)
    objects = [obj async for obj in queryset.filter(*args, **kwargs)]
    if not objects:
        raise Http404(f"No {queryset.model._meta.object_name} matches the given query.")
    return objects


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
