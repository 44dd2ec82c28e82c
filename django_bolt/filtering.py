"""Filtering, search and ordering from query parameters, over declared fields only.

On a ViewSet (DRF's names)::

    class ArticleViewSet(ModelViewSet):
        filter_backends = [FieldFilter, SearchFilter, OrderingFilter]
        filterset_fields = {"status": ["exact"], "created": ["gte", "lte"]}   # or ["status"]
        search_fields = ["title", "body"]         # ?search=word (icontains, OR across fields)
        ordering_fields = ["created", "title"]    # ?ordering=-created,title
        ordering = "-created"                     # default order

On a function route (under the route decorator, and under ``@paginate`` when both)::

    @api.get("/articles")
    @paginate(PageNumberPagination)
    @filter(fields={"status": ["exact"]}, search=["title"], ordering=["created"])
    async def articles(request) -> list[ArticleOut]:
        return Article.objects.all()

A query parameter naming a model field (or a lookup on one) that is not declared, a lookup
that is not allowed, a value the field cannot hold, or an ordering not in the allow-list
answers 422 ``{"detail": [{"loc": ["query", name], "msg", "type"}]}``: user input never
reaches the ORM as a raw lookup. Other query parameters (``page``...) are left alone.
"""

from __future__ import annotations

import functools
import inspect
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model, Q, QuerySet

from .exceptions import BoltConfigError, RequestValidationError
from .request import Request

__all__ = ["FieldFilter", "FilterBackend", "OrderingFilter", "SearchFilter", "apply_filters", "filter"]

F = TypeVar("F", bound=Callable[..., Any])

_LOOKUPS = frozenset({
    "exact", "iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith",
    "gt", "gte", "lt", "lte", "in", "isnull", "range", "date", "year", "month", "day",
})  # fmt: skip
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _error(name: str, msg: str, value: Any = None, kind: str = "value_error") -> dict[str, Any]:
    return {"type": kind, "loc": ["query", name], "msg": msg, "input": value}


def _normalise_fields(fields: Any, where: str) -> dict[str, tuple[str, ...]]:
    if fields is None:
        return {}
    if isinstance(fields, dict):
        out = {}
        for name, lookups in fields.items():
            bad = [lk for lk in lookups if lk not in _LOOKUPS]
            if bad:
                raise BoltConfigError(f"{where}: unknown lookup(s) {bad} for '{name}'; use {sorted(_LOOKUPS)}")
            out[name] = tuple(lookups)
        return out
    if isinstance(fields, str):
        raise BoltConfigError(f"{where}: filter fields must be a list or a dict, not a string")
    return {name: ("exact",) for name in fields}


class FilterBackend:
    """A filter step: ``filter_queryset(request, queryset, view)``; ``view`` carries the
    configuration (``filterset_fields``, ``search_fields``, ``ordering_fields``, ``ordering``)."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        raise NotImplementedError

    def query_parameters(self, view: Any) -> list[tuple[str, str]]:
        """(name, description) of the query parameters it reads, for OpenAPI."""
        return []


class FieldFilter(FilterBackend):
    """``?field=value`` / ``?field__lookup=value`` for the fields in ``filterset_fields``."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        declared = _normalise_fields(getattr(view, "filterset_fields", None), type(view).__qualname__)
        model = queryset.model
        concrete = {f.name for f in model._meta.get_fields()} | {"pk"}
        errors: list[dict[str, Any]] = []
        lookups: dict[str, Any] = {}
        for key, raw in request.query.items():
            name, _, lookup = key.partition("__")
            if name not in declared:
                if name in concrete:
                    errors.append(_error(key, f"filtering on '{name}' is not allowed", raw, "filter_not_allowed"))
                continue
            lookup = lookup or "exact"
            if lookup not in declared[name]:
                allowed = ", ".join(declared[name])
                errors.append(_error(key, f"lookup '{lookup}' is not allowed on '{name}' (allowed: {allowed})", raw))
                continue
            try:
                lookups[f"{name}__{lookup}"] = _convert(model, name, lookup, raw)
            except (ValidationError, ValueError, TypeError) as exc:
                msg = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                errors.append(_error(key, msg, raw))
        if errors:
            raise RequestValidationError(errors)
        return queryset.filter(**lookups) if lookups else queryset

    def query_parameters(self, view: Any) -> list[tuple[str, str]]:
        declared = _normalise_fields(getattr(view, "filterset_fields", None), type(view).__qualname__)
        out = []
        for name, lookups in declared.items():
            for lk in lookups:
                out.append((name if lk == "exact" else f"{name}__{lk}", f"filter: {name} {lk}"))
        return out


def _field(model: type[Model], name: str) -> Any:
    try:
        return model._meta.pk if name == "pk" else model._meta.get_field(name)
    except FieldDoesNotExist:
        raise ValueError(f"unknown field '{name}'") from None


def _convert(model: type[Model], name: str, lookup: str, raw: str) -> Any:
    """The query value as the field's type (so a bad one is a 422 now, not a 500 later)."""
    if lookup == "isnull":
        low = raw.lower()
        if low not in _TRUE | _FALSE:
            raise ValueError("must be true or false")
        return low in _TRUE
    field = _field(model, name)
    target = getattr(field, "target_field", None) or field  # a foreign key: the related key
    if lookup in ("year", "month", "day"):
        return int(raw)
    if lookup in ("in", "range"):
        parts = [target.to_python(p) for p in raw.split(",")]
        if lookup == "range" and len(parts) != 2:
            raise ValueError("range needs two values: low,high")
        return parts
    if lookup in ("contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "iexact"):
        return raw
    return target.to_python(raw)


class SearchFilter(FilterBackend):
    """``?search=words``: every word must match one of ``search_fields`` (icontains)."""

    search_param = "search"

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        fields = list(getattr(view, "search_fields", None) or ())
        text = request.query.get(self.search_param, "").strip()
        if not fields or not text:
            return queryset
        for word in text.split()[:10]:  # bounded: each word is one more OR group
            queryset = queryset.filter(functools.reduce(operator.or_, (Q(**{f"{f}__icontains": word}) for f in fields)))
        return queryset

    def query_parameters(self, view: Any) -> list[tuple[str, str]]:
        fields = list(getattr(view, "search_fields", None) or ())
        return [(self.search_param, f"search in {', '.join(fields)}")] if fields else []


class OrderingFilter(FilterBackend):
    """``?ordering=-created,title`` over ``ordering_fields``; ``ordering`` is the default."""

    ordering_param = "ordering"

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        allowed = set(getattr(view, "ordering_fields", None) or ())
        raw = request.query.get(self.ordering_param)
        if raw is None or not raw.strip():  # absent or empty: the default order
            default = getattr(view, "ordering", None)
            if default:
                return queryset.order_by(*([default] if isinstance(default, str) else default))
            return queryset
        terms = [t.strip() for t in raw.split(",") if t.strip()]
        bad = [t for t in terms if t.lstrip("-") not in allowed]
        if bad or not terms:
            msg = f"cannot order by {', '.join(bad) or raw}; allowed: {', '.join(sorted(allowed)) or 'none'}"
            raise RequestValidationError([_error(self.ordering_param, msg, raw)])
        return queryset.order_by(*terms)

    def query_parameters(self, view: Any) -> list[tuple[str, str]]:
        allowed = sorted(getattr(view, "ordering_fields", None) or ())
        if not allowed:
            return []
        return [(self.ordering_param, f"comma-separated, '-' for descending; one of {', '.join(allowed)}")]


def _instances(backends: Iterable[Any]) -> list[FilterBackend]:
    out = []
    for b in backends:
        inst = b() if isinstance(b, type) else b
        if not isinstance(inst, FilterBackend):
            raise BoltConfigError(f"filter_backends takes FilterBackend classes or instances, got {b!r}")
        out.append(inst)
    return out


def apply_filters(
    backends: Sequence[Any], queryset: QuerySet[Any], request: Request, view: Any = None
) -> QuerySet[Any]:
    """``queryset`` narrowed by each backend in turn (``view``: where their settings are)."""
    for backend in _instances(backends):
        queryset = backend.filter_queryset(request, queryset, view)
    return queryset


def documented_parameters(backends: Sequence[Any], view: Any) -> list[tuple[str, str]]:
    """(name, description) of every query parameter the backends read."""
    return [p for b in _instances(backends) for p in b.query_parameters(view)]


class _Settings:
    """The configuration ``@filter`` gives its backends (what a ViewSet has as attributes)."""

    def __init__(self, fields: Any, search: Sequence[str] | None, ordering: Sequence[str] | None, default: Any) -> None:
        self.filterset_fields = fields
        self.search_fields = list(search or ())
        self.ordering_fields = list(ordering or ())
        self.ordering = default


def filter(  # noqa: A001 - the public name, as in the issue
    *,
    fields: dict[str, Sequence[str]] | Sequence[str] | None = None,
    search: Sequence[str] | None = None,
    ordering: Sequence[str] | None = None,
    default_ordering: str | Sequence[str] | None = None,
) -> Callable[[F], F]:
    """Filter, search and order the QuerySet a function route returns (see module doc)."""
    settings = _Settings(_normalise_fields(fields, "@filter"), search, ordering, default_ordering)
    backends: list[FilterBackend] = [FieldFilter()]
    if search:
        backends.append(SearchFilter())
    if ordering or default_ordering:
        backends.append(OrderingFilter())

    def decorator(func: F) -> F:
        where = f"{func.__module__}.{func.__qualname__}"
        if not inspect.iscoroutinefunction(func):
            raise BoltConfigError(f"{where}: @filter needs an `async def` handler")
        sig = inspect.signature(func)
        names = list(sig.parameters)
        req = next((n for n in names if n in ("request", "req")), None)
        if req is None:
            raise BoltConfigError(f"{where}: @filter needs the handler to take `request`")
        pos = names.index(req)

        @functools.wraps(func)
        async def filtered(*args: Any, **kwargs: Any) -> Any:
            request = kwargs[req] if req in kwargs else args[pos]
            result = await func(*args, **kwargs)
            if isinstance(result, QuerySet):
                result = apply_filters(backends, result, request, settings)
            return result

        filtered.__signature__ = sig  # type: ignore[attr-defined]
        docs = list(getattr(func, "__bolt_query_docs__", ()))
        filtered.__bolt_query_docs__ = docs + documented_parameters(backends, settings)  # type: ignore[attr-defined]
        return filtered  # type: ignore[return-value]

    return decorator
