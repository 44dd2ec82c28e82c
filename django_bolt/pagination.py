"""Pagination: page numbers, limit/offset and cursors, for function routes and ViewSets.

::

    @api.get("/articles")
    @paginate(PageNumberPagination)
    async def articles(request) -> list[ArticleOut]:
        return Article.objects.order_by("id")

answers ``{"items": [...], "total": 42, "page": 1, "page_size": 100, "total_pages": 1,
"has_next": false, "has_previous": false}``; keys a paginator does not use are absent (not
``null``). ``envelope = "drf"`` on a paginator class answers DRF's ``{"count", "next",
"previous", "results"}`` with absolute URLs instead. The count and the slice run on the ORM
pool in one hop. See docs/pagination.md.
"""

from __future__ import annotations

import base64
import binascii
import functools
import inspect
import math
import typing
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

import msgspec
from django.conf import settings
from django.db.models import QuerySet
from django.utils.module_loading import import_string

from ._routing.views import output_type
from ._runtime.pages import fetch_keyed, fetch_page, item_type_of
from .exceptions import BoltConfigError, HTTPException
from .request import Request

__all__ = [
    "CursorPagination",
    "DRFPaginatedResponse",
    "LimitOffsetPagination",
    "PageNumberPagination",
    "PaginatedResponse",
    "PaginationBase",
    "default_pagination_class",
    "paginate",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class PaginatedResponse(msgspec.Struct, Generic[T], omit_defaults=True):
    """One page. Keys left at ``None`` are absent from the JSON."""

    items: list[T]
    total: int
    has_next: bool
    has_previous: bool
    page: int | None = None
    page_size: int | None = None
    total_pages: int | None = None
    next_page: int | None = None
    previous_page: int | None = None
    limit: int | None = None
    offset: int | None = None
    next_cursor: str | None = None
    previous_cursor: str | None = None


class DRFPaginatedResponse(msgspec.Struct, Generic[T]):
    """Django REST framework's envelope: absolute ``next``/``previous`` URLs or ``null``."""

    count: int
    next: str | None
    previous: str | None
    results: list[T]


def _int(raw: str | None, default: int) -> int:
    if raw is None or not raw.isascii() or not raw.lstrip("-").isdigit():
        return default
    return int(raw)


def _url(request: Request, **changes: Any) -> str:
    """This request's absolute URL with query parameters changed (None: removed)."""
    query = dict(request.query)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = str(value)
    host = request.headers.get("host", "localhost")
    qs = urlencode(query)
    return f"http://{host}{request.path}" + (f"?{qs}" if qs else "")


class PaginationBase:
    """Shared settings: ``page_size`` (default size), ``max_page_size`` (cap on what the
    client asks for), ``page_size_query_param`` (None: the client cannot choose) and
    ``envelope`` ("bolt": ``PaginatedResponse``; "drf": ``DRFPaginatedResponse``)."""

    page_size: int = 100
    max_page_size: int = 1000
    page_size_query_param: str | None = None
    envelope: str = "bolt"
    #: the item type when the route gives none (django-bolt's name)
    serializer_class: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.envelope not in ("bolt", "drf"):
            raise BoltConfigError(f"{cls.__qualname__}.envelope must be 'bolt' or 'drf', not {cls.envelope!r}")
        if cls.page_size < 1 or cls.max_page_size < cls.page_size:
            raise BoltConfigError(f"{cls.__qualname__}: need 1 <= page_size <= max_page_size")

    def response_type(self, item: Any) -> Any:
        """The envelope type for items of ``item`` (what OpenAPI documents)."""
        if self.envelope == "drf":
            return DRFPaginatedResponse[item]
        return PaginatedResponse[item]

    def get_page_size(self, request: Request) -> int:
        if self.page_size_query_param:
            size = _int(request.query.get(self.page_size_query_param), self.page_size)
            if size < 1:
                return self.page_size
            return min(size, self.max_page_size)
        return self.page_size

    async def get_page_params(self, request: Request) -> dict[str, Any]:
        raise NotImplementedError

    async def paginate_queryset(
        self, queryset: QuerySet[Any] | Sequence[Any], request: Request, *, item_type: Any = None, **params: Any
    ) -> Any:
        """One page of ``queryset`` as the envelope, items shaped as ``item_type``."""
        raise NotImplementedError

    def query_parameters(self) -> list[tuple[str, str]]:
        """(name, description) of the query parameters this paginator reads (for OpenAPI)."""
        out = []
        if self.page_size_query_param:
            out.append((self.page_size_query_param, f"items per page (at most {self.max_page_size})"))
        return out


class PageNumberPagination(PaginationBase):
    """``?page=N`` (from 1; bad values mean 1) and ``?page_size=M``."""

    page_query_param: str = "page"
    page_size_query_param: str | None = "page_size"

    async def get_page_params(self, request: Request) -> dict[str, Any]:
        page = _int(request.query.get(self.page_query_param), 1)
        return {"page": max(page, 1), "page_size": self.get_page_size(request)}

    async def paginate_queryset(
        self, queryset: QuerySet[Any] | Sequence[Any], request: Request, *, item_type: Any = None, **params: Any
    ) -> Any:
        p = params or await self.get_page_params(request)
        item_type = item_type if item_type is not None else output_type(self.serializer_class)
        page, size = p["page"], p["page_size"]
        total, items = await fetch_page(queryset, (page - 1) * size, page * size, item_type)
        assert total is not None
        pages = math.ceil(total / size)
        has_next, has_previous = page < pages, page > 1
        if self.envelope == "drf":
            return DRFPaginatedResponse(
                count=total,
                next=_url(request, **{self.page_query_param: page + 1}) if has_next else None,
                previous=(
                    _url(request, **{self.page_query_param: page - 1 if page > 2 else None}) if has_previous else None
                ),
                results=items,
            )
        return PaginatedResponse(
            items=items,
            total=total,
            has_next=has_next,
            has_previous=has_previous,
            page=page,
            page_size=size,
            total_pages=pages,
            next_page=page + 1 if has_next else None,
            previous_page=page - 1 if has_previous else None,
        )

    def query_parameters(self) -> list[tuple[str, str]]:
        return [(self.page_query_param, "page number, from 1"), *super().query_parameters()]


class LimitOffsetPagination(PaginationBase):
    """``?limit=N`` (1..max_page_size, default page_size) and ``?offset=M`` (from 0)."""

    limit_query_param: str = "limit"
    offset_query_param: str = "offset"

    async def get_page_params(self, request: Request) -> dict[str, Any]:
        limit = _int(request.query.get(self.limit_query_param), self.page_size)
        limit = self.page_size if limit < 1 else min(limit, self.max_page_size)
        offset = max(_int(request.query.get(self.offset_query_param), 0), 0)
        return {"limit": limit, "offset": offset}

    async def paginate_queryset(
        self, queryset: QuerySet[Any] | Sequence[Any], request: Request, *, item_type: Any = None, **params: Any
    ) -> Any:
        p = params or await self.get_page_params(request)
        item_type = item_type if item_type is not None else output_type(self.serializer_class)
        limit, offset = p["limit"], p["offset"]
        total, items = await fetch_page(queryset, offset, offset + limit, item_type)
        assert total is not None
        has_next, has_previous = offset + limit < total, offset > 0
        if self.envelope == "drf":
            prev_offset = max(offset - limit, 0)
            return DRFPaginatedResponse(
                count=total,
                next=_url(request, limit=limit, offset=offset + limit) if has_next else None,
                previous=_url(request, limit=limit, offset=prev_offset or None) if has_previous else None,
                results=items,
            )
        return PaginatedResponse(
            items=items, total=total, has_next=has_next, has_previous=has_previous, limit=limit, offset=offset
        )

    def query_parameters(self) -> list[tuple[str, str]]:
        return [
            (self.limit_query_param, f"items to return (1..{self.max_page_size})"),
            (self.offset_query_param, "items to skip"),
        ]


class CursorPagination(PaginationBase):
    """``?cursor=...``: opaque cursors over ``ordering`` (one field, unique and not null:
    ``"-id"``, ``"created_at"`` with unique values...). Stable under inserts; no total
    (``total`` is 0). Every page has ``next_cursor`` and ``previous_cursor`` when there is
    a page that way. A cursor that cannot be decoded answers 400 ``Invalid cursor``."""

    ordering: str = "-id"
    cursor_query_param: str = "cursor"
    page_size_query_param: str | None = "page_size"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not isinstance(cls.ordering, str) or not cls.ordering.lstrip("-"):
            raise BoltConfigError(f"{cls.__qualname__}.ordering must name one field, e.g. '-id'")

    @staticmethod
    def encode_cursor(value: Any, backwards: bool) -> str:
        raw = msgspec.json.encode({"v": value, "b": 1} if backwards else {"v": value})
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def decode_cursor(cursor: str) -> tuple[Any, bool]:
        try:
            data = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (binascii.Error, ValueError, msgspec.DecodeError):
            raise HTTPException(400, "Invalid cursor") from None
        if not isinstance(data, dict) or "v" not in data or isinstance(data["v"], (dict, list)):
            raise HTTPException(400, "Invalid cursor")
        return data["v"], bool(data.get("b"))

    async def get_page_params(self, request: Request) -> dict[str, Any]:
        raw = request.query.get(self.cursor_query_param)
        value, backwards = self.decode_cursor(raw) if raw else (None, False)
        return {"cursor": raw, "value": value, "backwards": backwards, "page_size": self.get_page_size(request)}

    async def paginate_queryset(
        self, queryset: QuerySet[Any] | Sequence[Any], request: Request, *, item_type: Any = None, **params: Any
    ) -> Any:
        if not isinstance(queryset, QuerySet):
            raise BoltConfigError("CursorPagination pages QuerySets only (it filters on the ordering field)")
        p = params or await self.get_page_params(request)
        item_type = item_type if item_type is not None else output_type(self.serializer_class)
        size, value, backwards = p["page_size"], p["value"], p["backwards"]
        field = self.ordering.lstrip("-")
        descending = self.ordering.startswith("-")
        # Walking backwards reverses the order and the comparison; the page is flipped after.
        forward_desc = descending != backwards
        qs = queryset.order_by(f"-{field}" if forward_desc else field)
        if value is not None:
            qs = qs.filter(**{f"{field}__{'lt' if forward_desc else 'gt'}": value})
        rows, keys = await fetch_keyed(qs, size + 1, item_type, field)
        more = len(rows) > size
        items, keys = rows[:size], keys[:size]
        if backwards:
            items.reverse()
            keys.reverse()
            has_previous, has_next = more, True
        else:
            has_previous, has_next = value is not None, more
        next_cursor = self.encode_cursor(keys[-1], False) if has_next and keys else None
        previous_cursor = self.encode_cursor(keys[0], True) if has_previous and keys else None
        if self.envelope == "drf":
            param = self.cursor_query_param
            return DRFPaginatedResponse(
                count=0,
                next=_url(request, **{param: next_cursor}) if next_cursor else None,
                previous=_url(request, **{param: previous_cursor}) if previous_cursor else None,
                results=items,
            )
        return PaginatedResponse(
            items=items,
            total=0,
            has_next=has_next,
            has_previous=has_previous,
            page_size=size,
            next_cursor=next_cursor,
            previous_cursor=previous_cursor,
        )

    def query_parameters(self) -> list[tuple[str, str]]:
        return [
            (self.cursor_query_param, "opaque cursor from next_cursor/previous_cursor"),
            *super().query_parameters(),
        ]


def default_pagination_class() -> type[PaginationBase] | None:
    """``settings.BOLT_DEFAULT_PAGINATION_CLASS`` (a class or dotted path), or None:
    the pagination class of every ViewSet that sets none."""
    value = getattr(settings, "BOLT_DEFAULT_PAGINATION_CLASS", None) if settings.configured else None
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = import_string(value)
        except ImportError as exc:
            raise BoltConfigError(f"BOLT_DEFAULT_PAGINATION_CLASS: cannot import {value!r} ({exc})") from exc
    if not (isinstance(value, type) and issubclass(value, PaginationBase)):
        raise BoltConfigError(f"BOLT_DEFAULT_PAGINATION_CLASS must be a PaginationBase subclass, got {value!r}")
    return value


def _find_request(sig: inspect.Signature, where: str) -> tuple[str, int]:
    for i, p in enumerate(sig.parameters.values()):
        if p.name in ("request", "req") or p.annotation in (Request, "Request"):
            return p.name, i
    raise BoltConfigError(f"{where}: @paginate needs the handler to take `request`")


def paginate(pagination_class: type[PaginationBase] | None = None) -> Callable[[F], F]:
    """Page what the handler returns (a QuerySet or a list): put it under the route
    decorator. Items are typed by the ``list[X]`` return annotation (or, on a ViewSet
    method without one, the view's serializer); the route documents ``PaginatedResponse[X]``."""
    cls = pagination_class or PageNumberPagination
    if not (isinstance(cls, type) and issubclass(cls, PaginationBase)):
        raise BoltConfigError(f"@paginate takes a PaginationBase subclass, got {cls!r}")

    def decorator(func: F) -> F:
        where = f"{func.__module__}.{func.__qualname__}"
        if not inspect.iscoroutinefunction(func):
            raise BoltConfigError(f"{where}: @paginate needs an `async def` handler")
        sig = inspect.signature(func)
        req_name, req_pos = _find_request(sig, where)
        try:
            ret = typing.get_type_hints(func, include_extras=True).get("return")
        except NameError as exc:
            raise BoltConfigError(f"{where}: cannot resolve its return annotation ({exc})") from exc
        declared = item_type_of(ret)
        item = output_type(declared) if declared is not None else None
        paginator = cls()

        def from_response_model(model: Any) -> Any:
            """``response_model=list[X]`` on the route decorator: X types the items, and the
            route answers (and documents) the envelope of X (called at registration)."""
            nonlocal item
            declared_item = item_type_of(model)
            if declared_item is None:
                return model  # already an envelope, or not a list: used as it is
            item = output_type(declared_item)
            return paginator.response_type(item)

        @functools.wraps(func)
        async def paged(*args: Any, **kwargs: Any) -> Any:
            request = kwargs[req_name] if req_name in kwargs else args[req_pos]
            result = await func(*args, **kwargs)
            if isinstance(result, (PaginatedResponse, DRFPaginatedResponse)):
                return result
            item_type = item
            if item_type is None and args:  # a ViewSet method: its serializer
                getter = getattr(args[0], "get_serializer_class", None)
                if getter is not None and getter() is not None:
                    item_type = output_type(getter())
            return await paginator.paginate_queryset(result, request, item_type=item_type)

        annotations = dict(getattr(func, "__annotations__", {}))
        if item is not None:
            annotations["return"] = paginator.response_type(item)
        else:
            annotations.pop("return", None)
        paged.__annotations__ = annotations
        paged.__signature__ = sig.replace(  # type: ignore[attr-defined]
            return_annotation=annotations.get("return", inspect.Signature.empty)
        )
        paged.__bolt_pagination__ = paginator  # type: ignore[attr-defined]
        paged.__bolt_paginate__ = from_response_model  # type: ignore[attr-defined]
        docs = list(getattr(func, "__bolt_query_docs__", ()))
        paged.__bolt_query_docs__ = docs + paginator.query_parameters()  # type: ignore[attr-defined]
        return paged  # type: ignore[return-value]

    return decorator
