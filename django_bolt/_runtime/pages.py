"""Fetching one page of a QuerySet (or list) for ``django_bolt.pagination``.

The count and the slice run in ONE hop to the ORM pool: two queries, one thread round trip, and the items are shaped
into the item type there, where lazy attributes may still query.
"""

from __future__ import annotations

import asyncio
import typing
from collections.abc import Sequence
from typing import Any

import msgspec
from asgiref.sync import sync_to_async
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable

from .orm import current_pool
from .orm_sql import count_rows, values_rows


async def _hop(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` on an ORM thread.

    Speed: straight to the server's ORM pool with ``run_in_executor`` (one future) instead
    of asgiref's ``sync_to_async`` (a Task, chained futures and its thread-sensitive
    bookkeeping per call); the pool's threads release their connections after each call
    like Django does after a request. Without a pool (the in-process test clients):
    asgiref's threads."""
    pool = current_pool()
    if pool is None:
        return await sync_to_async(fn)(*args)
    return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)


_projections: dict[tuple[Any, type[Model]], tuple[str, ...] | None] = {}


def _projection(item_type: Any, model: type[Model]) -> tuple[str, ...] | None:
    """The item type's field names when ``.values(*names)`` fetches all of them (plain
    columns, no renames, no computed fields); cached per (type, model)."""
    key = (item_type, model)
    if key in _projections:
        return _projections[key]
    names: tuple[str, ...] | None = None
    fields = getattr(item_type, "__struct_fields__", None)
    plain = fields is not None and getattr(item_type, "__struct_encode_fields__", fields) == fields
    # A Serializer's response form (__bolt_prepare__) may need the objects: no projection.
    if (
        fields is not None
        and plain
        and not hasattr(item_type, "__bolt_prepare__")
        and not hasattr(item_type, "from_model")
    ):
        columns = {"pk"}
        for f in model._meta.concrete_fields:
            columns.add(f.attname)
            if not f.is_relation:
                columns.add(f.name)
        if set(fields) <= columns:
            names = tuple(fields)
    _projections[key] = names
    return names


def shape(rows: Sequence[Any], item_type: Any) -> list[Any]:
    """``rows`` (dicts or model instances) as a list of ``item_type``."""
    if item_type is None:
        return [_as_dict(r) for r in rows]
    prepare_many = getattr(item_type, "__bolt_prepare_many__", None)
    prepare = getattr(item_type, "__bolt_prepare__", None) or getattr(item_type, "from_model", None)
    if prepare_many is not None:
        rows = prepare_many(rows)
    elif prepare is not None:
        rows = [prepare(r) if isinstance(r, Model) else r for r in rows]
    result: list[Any] = msgspec.convert(rows, list[item_type], from_attributes=True)
    return result


def _as_dict(row: Any) -> Any:
    if isinstance(row, Model):
        return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
    return row


def rows_of(queryset: QuerySet[Any], item_type: Any) -> QuerySet[Any]:
    """``queryset`` projected to the item type's columns when that is possible."""
    if queryset._iterable_class is not ModelIterable:  # .values() / .values_list() already
        return queryset
    names = _projection(item_type, queryset.model) if item_type is not None else None
    if names is not None:
        return queryset.values(*names)
    return queryset if item_type is not None else queryset.values()


def _page(source: Any, start: int, stop: int, item_type: Any, count: bool) -> tuple[int | None, list[Any]]:
    if isinstance(source, QuerySet):
        names = _projection(item_type, source.model) if item_type is not None else None
        if source._iterable_class is ModelIterable and (item_type is None or names is not None):
            # Speed: the count and the page from statements compiled once per query shape,
            # not through Django's compiler per request (_runtime/orm_sql.py).
            total = count_rows(source) if count else None
            return total, shape(values_rows(source, names, (start, stop)), item_type)
        total = source.count() if count else None
        rows = list(rows_of(source, item_type)[start:stop])
    else:
        items = list(source)
        total = len(items) if count else None
        rows = items[start:stop]
    return total, shape(rows, item_type)


async def fetch_page(
    source: QuerySet[Any] | Sequence[Any], start: int, stop: int, item_type: Any, *, count: bool = True
) -> tuple[int | None, list[Any]]:
    """``(total, items[start:stop])`` of ``source``, shaped as ``item_type``, in one hop."""
    if isinstance(source, QuerySet):
        paged: tuple[int | None, list[Any]] = await _hop(_page, source, start, stop, item_type, count)
        return paged
    return _page(source, start, stop, item_type, count)


def _keyed(queryset: QuerySet[Any], stop: int, item_type: Any, field: str) -> tuple[list[Any], list[Any]]:
    names = _projection(item_type, queryset.model) if item_type is not None else None
    if names is not None:
        extra = () if field in names else (field,)
        rows = list(queryset.values(*names, *extra)[:stop])
        keys = [r.pop(field) if extra else r[field] for r in rows]
        return shape(rows, item_type), keys
    objs = list(queryset[:stop])
    return shape(objs, item_type), [getattr(o, field) for o in objs]


async def fetch_keyed(queryset: QuerySet[Any], stop: int, item_type: Any, field: str) -> tuple[list[Any], list[Any]]:
    """The first ``stop`` items of ``queryset`` shaped as ``item_type``, with each one's
    value of ``field`` (the cursor key), in one hop."""
    keyed: tuple[list[Any], list[Any]] = await _hop(_keyed, queryset, stop, item_type, field)
    return keyed


#: fetch_one's answer when nothing matches.
NOT_FOUND: Any = object()


def _one(queryset: QuerySet[Any], lookup: dict[str, Any], item_type: Any) -> Any:
    names = _projection(item_type, queryset.model) if item_type is not None else None
    try:
        row = queryset.values(*names).get(**lookup) if names is not None else queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
        return NOT_FOUND
    return shape([row], item_type)[0]


async def fetch_one(queryset: QuerySet[Any], lookup: dict[str, Any], item_type: Any) -> Any:
    """The one object of ``queryset`` that ``lookup`` names, shaped as ``item_type``, or
    ``NOT_FOUND``: the query and the shaping in ONE hop to the ORM pool (an instance
    returned to the server would take a second hop to be encoded there)."""
    return await _hop(_one, queryset, lookup, item_type)


def item_type_of(annotation: Any) -> Any:
    """``list[X]`` -> X (else None)."""
    if typing.get_origin(annotation) in (list, Sequence, tuple):
        args = typing.get_args(annotation)
        return args[0] if args else None
    return None
