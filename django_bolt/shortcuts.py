"""Shortcuts for handlers, as ``django.shortcuts`` has for views.

``aget_object_or_404(Product, pk=product_id)`` returns the object or raises ``Http404``, which
the server answers with 404 ``{"detail": "Not found."}`` (so does an uncaught
``Product.DoesNotExist``). The first argument may be a model, a manager or a QuerySet.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

__all__ = ["aget_list_or_404", "aget_object_or_404"]


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
