"""Class-based views: ``APIView``, ``ViewSet``, the model mixins and ``@action``.

::

    @api.viewset("/articles")
    class ArticleViewSet(ModelViewSet):
        queryset = Article.objects.all()
        serializer_class = ArticleOut
        create_serializer_class = ArticleIn

        @action(methods=["POST"], detail=True)
        async def publish(self, request, pk: int) -> ArticleOut:
            article = await self.get_object(pk)
            ...

A fresh instance serves each request (``self.request``, ``self.action`` and ``self.kwargs``
are that request's). Method parameters bind exactly like function handlers' (path, query,
body, headers, ``Depends``...). See docs/views.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgspec
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet

from ._routing.views import ActionSpec, make_handler, output_type
from ._runtime.orm_sql import defer_lookup, mark
from ._runtime.pages import NOT_FOUND, fetch_one
from .exceptions import BoltConfigError, HTTPException
from .filtering import apply_filters, documented_parameters
from .pagination import PaginationBase, default_pagination_class
from .request import Request
from .responses import Response

__all__ = [
    "APIView",
    "CreateMixin",
    "DestroyMixin",
    "ListMixin",
    "ModelViewSet",
    "PartialUpdateMixin",
    "ReadOnlyModelViewSet",
    "RetrieveMixin",
    "UpdateMixin",
    "ViewSet",
    "action",
]

F = TypeVar("F", bound=Callable[..., Any])

_NO_CONTENT = 204


class APIView:
    """A class whose ``get``/``post``/``put``/``patch``/``delete`` methods are the handlers
    of one path: ``@api.view("/path")``."""

    http_method_names: Sequence[str] = ("get", "post", "put", "patch", "delete", "head", "options")
    #: guard instances for every route of the class (the decorator's ``guards=`` wins)
    guards: Sequence[Any] | None = None
    #: authentication backends (the decorator's ``auth=`` wins)
    auth: Sequence[Any] | None = None
    #: default status of every route (the decorator's ``status_code=`` wins)
    status_code: int | None = None
    #: plain ``def`` methods run in a thread pool (as ``sync_to_thread=True`` on a route)
    sync_to_thread: bool = False

    request: Request | None
    action: str | None
    kwargs: dict[str, Any]

    def __init__(self, **kwargs: Any) -> None:
        self.request = None
        self.action = None
        self.kwargs = {}
        for key, value in kwargs.items():
            setattr(self, key, value)

    def initialize(self, request: Request) -> None:
        """Called with each request before the method runs (override to add set-up)."""
        self.request = request

    @classmethod
    def get_allowed_methods(cls) -> set[str]:
        """The upper-case HTTP methods this class answers."""
        return {m.upper() for m in cls.http_method_names if callable(getattr(cls, m.lower(), None))}

    @classmethod
    def as_view(cls, method: str, action: str | None = None) -> Callable[..., Any]:
        """The handler function for ``method`` (or ``action`` of a ViewSet), as the route
        decorators generate it; for registering one method by hand with ``api.add_route``."""
        name = action or method.lower()
        if not callable(getattr(cls, name, None)):
            raise BoltConfigError(f"{cls.__qualname__} has no {name}() method")
        return make_handler(cls, name, name, lookup=None, data_type=None)


def action(
    methods: Sequence[str],
    detail: bool,
    path: str | None = None,
    *,
    auth: Sequence[Any] | None = None,
    guards: Sequence[Any] | None = None,
    response_model: Any = None,
    status_code: int | None = None,
    tags: list[str] | None = None,
    summary: str | None = None,
    description: str | None = None,
) -> Callable[[F], F]:
    """Route an extra ViewSet method: ``path/<name>`` (``detail=False``) or
    ``path/{lookup}/<name>`` (``detail=True``), one route per method in ``methods``.
    Its ``auth``/``guards``/``status_code`` beat the class's and the decorator's."""
    if isinstance(methods, str) or not methods:
        raise BoltConfigError("@action(methods=[...]) takes a non-empty list of HTTP methods")
    spec = ActionSpec(
        tuple(m.upper() for m in methods), detail, path, auth, guards, response_model, status_code, tags, summary,
        description,
    )  # fmt: skip

    def decorator(func: F) -> F:
        func.__bolt_action__ = spec  # type: ignore[attr-defined]
        return func

    return decorator


class ViewSet(APIView):
    """Actions over a collection: ``list``, ``create``, ``retrieve``, ``update``,
    ``partial_update``, ``destroy`` and ``@action`` methods; ``@api.viewset("/path")``."""

    queryset: QuerySet[Any] | None = None
    serializer_class: Any = None
    #: the type of ``list`` items (default: ``serializer_class``)
    list_serializer_class: Any = None
    lookup_field: str = "pk"
    pagination_class: type[PaginationBase] | None = None
    #: filter/search/ordering backends (``django_bolt.filtering``), applied by filter_queryset
    filter_backends: Sequence[Any] = ()

    @classmethod
    def serializer_class_for(cls, action: str | None) -> Any:
        """The serializer of ``action`` (class attributes only; used at registration)."""
        if action == "list" and cls.list_serializer_class is not None:
            return cls.list_serializer_class
        if action == "create" and getattr(cls, "create_serializer_class", None) is not None:
            return cls.create_serializer_class  # type: ignore[attr-defined]
        if action in ("update", "partial_update") and getattr(cls, "update_serializer_class", None) is not None:
            return cls.update_serializer_class  # type: ignore[attr-defined]
        return cls.serializer_class

    @classmethod
    def pagination_class_for(cls) -> type[PaginationBase] | None:
        return cls.pagination_class or default_pagination_class()

    @classmethod
    def query_docs_for(cls, action: str) -> list[tuple[str, str]]:
        """(name, description) of the query parameters ``action`` reads (filters, pages)."""
        if action != "list":
            return []
        docs = documented_parameters(cls.filter_backends, cls)
        pagination = cls.pagination_class_for()
        return docs + (pagination().query_parameters() if pagination is not None else [])

    async def get_queryset(self) -> QuerySet[Any]:
        """A fresh QuerySet of ``queryset`` (override to filter by user, ...)."""
        if self.queryset is None:
            raise BoltConfigError(f"{type(self).__qualname__}: set queryset or override get_queryset()")
        # Speed: marked as the class queryset unchanged; returned as it is by list/retrieve,
        # the server runs its SELECT compiled once instead of through Django's compiler
        # per request (_runtime/orm_sql.py). Chaining anything on it drops the mark.
        queryset = self.queryset
        if queryset is not type(self).queryset:  # set per instance: a new query each time, not kept
            return queryset.all()
        return mark(queryset.all(), queryset)

    async def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``queryset`` narrowed by the ``filter_backends`` from the request's query."""
        if not self.filter_backends or self.request is None:
            return queryset
        return apply_filters(self.filter_backends, queryset, self.request, self)

    def get_pagination_class(self) -> type[PaginationBase] | None:
        return self.pagination_class_for()

    async def paginate_queryset(self, queryset: QuerySet[Any] | list[Any]) -> Any:
        """One page of ``queryset`` as the paginator's envelope (a JSON response), or
        the whole QuerySet when the view has no pagination class."""
        pagination = self.get_pagination_class()
        if pagination is None or self.request is None:
            return queryset
        item = output_type(self.get_serializer_class("list"))
        return await pagination().paginate_queryset(queryset, self.request, item_type=item)

    async def get_object(self, pk: Any = None, **lookup: Any) -> Any:
        """The object ``lookup`` names (``pk``, or ``lookup_field`` = the path value);
        404 ``{"detail": "Not found"}`` when there is none (or the value cannot be one)."""
        if pk is not None:
            lookup[self.lookup_field] = pk
        elif not lookup:
            lookup = dict(self.kwargs)
        queryset = await self.get_queryset()
        try:
            return await queryset.aget(**lookup)
        except (ObjectDoesNotExist, ValueError, ValidationError, TypeError):
            raise HTTPException(404, "Not found") from None

    def get_serializer_class(self, action: str | None = None) -> Any:
        return self.serializer_class_for(action or self.action)

    def get_serializer(self, instance: Any = None, data: Any = None, many: bool = False) -> Any:
        """``instance`` (or each of many) as the action's serializer; ``data`` validated
        into it (a 422 when invalid)."""
        cls = self.get_serializer_class()
        if cls is None:
            raise BoltConfigError(f"{type(self).__qualname__}: set serializer_class")
        if data is not None:
            return msgspec.convert(data, cls, from_attributes=True)
        out = output_type(cls)
        if many:
            return [_to_output(out, obj) for obj in instance]
        return _to_output(out, instance)


def _to_output(cls: Any, obj: Any) -> Any:
    from_model = getattr(cls, "from_model", None)
    if from_model is not None and isinstance(obj, Model):
        return from_model(obj)
    return msgspec.convert(obj, cls, from_attributes=True)


def _model_values(view: ViewSet, data: Any, only_sent: bool) -> dict[str, Any]:
    """The body's fields that are model fields (``UNSET`` ones left out when only_sent)."""
    if isinstance(data, msgspec.Struct):
        to_dict = getattr(data, "to_dict", None)
        values = to_dict() if to_dict is not None else msgspec.structs.asdict(data)
    elif isinstance(data, dict):
        values = dict(data)
    else:
        values = msgspec.to_builtins(data)
    if only_sent:
        values = {k: v for k, v in values.items() if v is not msgspec.UNSET}
    model = _model_of(view)
    names = {f.name for f in model._meta.concrete_fields} | {f.attname for f in model._meta.concrete_fields}
    return {k: v for k, v in values.items() if k in names}


def _model_of(view: ViewSet) -> type[Model]:
    if view.queryset is None:
        raise BoltConfigError(f"{type(view).__qualname__}: the model mixins need a queryset")
    return view.queryset.model


# ---- mixins: the standard actions ------------------------------------------------------------
# They return QuerySets and model instances: the server evaluates those on the ORM pool and
# answers them through the route's response model (the serializer), a .values() projection
# when the serializer's fields are plain columns.


class ListMixin:
    async def list(self: Any, request: Request) -> Any:
        """The collection (one page of it with a pagination class)."""
        queryset = await self.filter_queryset(await self.get_queryset())
        if self.get_pagination_class() is not None:
            return await self.paginate_queryset(queryset)
        return queryset


class RetrieveMixin:
    async def retrieve(self: Any, request: Request, **kwargs: Any) -> Any:
        """One object by its lookup field."""
        if type(self).get_object is not ViewSet.get_object:  # the class's own lookup
            return await self.get_object(**kwargs)
        queryset = await self.get_queryset()
        if self.get_serializer_class() is not None:
            # Speed: the route turns the evaluated QuerySet into its one object or a 404
            # (_routing/views.one_or_404): the server evaluates and encodes it on the ORM
            # pool in one batched hop, fetching only the serializer's columns. The filter is
            # deferred (Django applies it when the query is used): the class queryset's
            # compiled SELECT takes the lookup value instead (_runtime/orm_sql.py).
            return defer_lookup(queryset, kwargs or self.kwargs)
        # No serializer: the query and the shaping in one hop (fetch_one).
        found = await fetch_one(queryset, kwargs or dict(self.kwargs), output_type(self.get_serializer_class()))
        if found is NOT_FOUND:
            raise HTTPException(404, "Not found")
        return found


class CreateMixin:
    async def create(self: Any, request: Request, data: Any) -> Any:
        """A new object from the body (201)."""
        model = _model_of(self)
        return await model._default_manager.acreate(**_model_values(self, data, only_sent=False))


class UpdateMixin:
    async def update(self: Any, request: Request, data: Any, **kwargs: Any) -> Any:
        """Replace the object's fields with the body's."""
        obj = await self.get_object(**kwargs)
        values = _model_values(self, data, only_sent=False)
        for key, value in values.items():
            setattr(obj, key, value)
        await obj.asave(update_fields=list(values) or None)
        return obj


class PartialUpdateMixin:
    async def partial_update(self: Any, request: Request, data: Any, **kwargs: Any) -> Any:
        """Set only the fields the body sends."""
        obj = await self.get_object(**kwargs)
        values = _model_values(self, data, only_sent=True)
        for key, value in values.items():
            setattr(obj, key, value)
        if values:
            await obj.asave(update_fields=list(values))
        return obj


class DestroyMixin:
    async def destroy(self: Any, request: Request, **kwargs: Any) -> Any:
        """Delete the object (204, no body)."""
        obj = await self.get_object(**kwargs)
        await obj.adelete()
        return Response(b"", status_code=_NO_CONTENT)


class ReadOnlyModelViewSet(ListMixin, RetrieveMixin, ViewSet):
    """``list`` and ``retrieve`` over ``queryset``."""


class ModelViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, PartialUpdateMixin, DestroyMixin, ViewSet):
    """Every standard action over ``queryset``; ``create_serializer_class`` and
    ``update_serializer_class`` type the bodies of create and update/partial_update."""

    create_serializer_class: Any = None
    update_serializer_class: Any = None
