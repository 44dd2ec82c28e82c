"""Class-based views compiled into routes, at registration.

``api.view(path)`` turns each HTTP-method method of an ``APIView`` (``get``, ``post``...) into
a route; ``api.viewset(path)`` turns a ``ViewSet``'s actions (``list``, ``create``,
``retrieve``, ``update``, ``partial_update``, ``destroy`` and ``@action`` methods) into the
collection and detail routes. Each route's handler is a function with the method's
signature minus ``self``, so its parameters are planned exactly like a function handler's
(``_routing/plans.py``); per request it makes a NEW view instance, sets ``request``,
``action`` and ``kwargs`` on it and calls the method. (django-bolt shares one instance per
route between concurrent requests, so ``self.request`` can be another request's; one
instance per request costs one small object.)
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from ..exceptions import BoltConfigError
from ..request import Request
from ..responses import Response

#: The hidden argument that brings the request to a view whose method does not take it.
REQUEST_ARG = "_bolt_view_request"

#: viewset action -> (HTTP method, detail route, default status)
STANDARD_ACTIONS: dict[str, tuple[str, bool, int]] = {
    "list": ("GET", False, 200),
    "create": ("POST", False, 201),
    "retrieve": ("GET", True, 200),
    "update": ("PUT", True, 200),
    "partial_update": ("PATCH", True, 200),
    "destroy": ("DELETE", True, 204),
}
_HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


@dataclasses.dataclass(frozen=True)
class ActionSpec:
    """What ``@action(...)`` recorded on a method."""

    methods: tuple[str, ...]
    detail: bool
    path: str | None
    auth: Sequence[Any] | None
    guards: Sequence[Any] | None
    response_model: Any
    status_code: int | None
    tags: list[str] | None
    summary: str | None
    description: str | None


@dataclasses.dataclass
class ViewRoute:
    """One route a view class generates: what ``Router.add_route`` is called with."""

    method: str
    path: str
    handler: Callable[..., Any]
    options: dict[str, Any]
    #: called with the registered Route (the retrieve route's list-to-object outputs)
    finish: Callable[[Any], None] | None = None


def action_of(func: Any) -> ActionSpec | None:
    spec = getattr(func, "__bolt_action__", None)
    return spec if isinstance(spec, ActionSpec) else None


def output_type(tp: Any) -> Any:
    """The type a value of ``tp`` is answered as: a Serializer's response form (without
    its write-only fields), or ``tp`` itself."""
    return getattr(tp, "__bolt_output__", None) or tp


def input_type(tp: Any, partial: bool = False) -> Any:
    """The body type for ``tp``: a Serializer's request form (without read-only fields);
    ``partial``: every field optional and UNSET when not sent (PATCH)."""
    tp = getattr(tp, "__bolt_input__", None) or tp
    if not partial:
        return tp
    return _partial_struct(tp)


_partials: dict[Any, Any] = {}


def _partial_struct(tp: Any) -> Any:
    if tp in _partials:
        return _partials[tp]
    own = getattr(tp, "partial", None)  # a Serializer: its partial form keeps the validators
    if callable(own) and hasattr(tp, "__bolt_field_validators__"):
        _partials[tp] = own()
        return _partials[tp]
    if not (isinstance(tp, type) and issubclass(tp, msgspec.Struct)):
        raise BoltConfigError(f"partial_update needs a msgspec Struct (or Serializer) body type, not {tp!r}")
    fields = [
        (f.name, f.type | msgspec.UnsetType, msgspec.field(default=msgspec.UNSET, name=f.encode_name))
        for f in msgspec.structs.fields(tp)
    ]
    made = msgspec.defstruct(f"{tp.__name__}Patch", fields, kw_only=True, module=tp.__module__)
    _partials[tp] = made
    return made


def _where(cls: type, attr: str) -> str:
    return f"{cls.__module__}.{cls.__qualname__}.{attr}"


def lookup_annotation(cls: type, lookup: str) -> Any:
    """The type of the ``{lookup}`` path parameter: from the queryset's model field when
    the class has one (int for integer keys, UUID for UUID keys), else ``str``."""
    qs = getattr(cls, "queryset", None)
    model = getattr(qs, "model", None)
    if model is None:
        return str
    try:
        field = model._meta.pk if lookup == "pk" else model._meta.get_field(lookup)
    except Exception:  # an unknown field: the lookup fails per request as a 404 instead
        return str
    internal = field.get_internal_type()
    if internal.endswith("AutoField") or internal.endswith("IntegerField"):
        return int
    if internal == "UUIDField":
        return uuid.UUID
    return str


def make_handler(
    cls: type,
    attr: str,
    action: str,
    *,
    lookup: str | None,
    data_type: Any,
) -> Callable[..., Any]:
    """A function with ``cls.attr``'s parameters (minus ``self``) that runs it on a fresh
    instance of ``cls``; ``lookup`` adds that path parameter when the method takes only
    ``**kwargs``; ``data_type`` is the body type of an unannotated ``data`` argument."""
    func = getattr(cls, attr)
    where = _where(cls, attr)
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except NameError as exc:
        raise BoltConfigError(
            f"{where}: cannot resolve its type hints ({exc}); import the types at module level"
        ) from exc
    sig = inspect.signature(func)
    params = list(sig.parameters.values())[1:]  # self
    var_kw = any(p.kind is p.VAR_KEYWORD for p in params)
    kept: list[inspect.Parameter] = []
    annotations: dict[str, Any] = {}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        tp = hints.get(p.name, inspect.Parameter.empty)
        if p.name == "data" and (tp is inspect.Parameter.empty or tp is Any):
            if data_type is None and action in ("create", "update", "partial_update"):
                raise BoltConfigError(
                    f"{where}: the body type is unknown; set serializer_class (or create_/update_serializer_class) "
                    "or annotate `data`"
                )
            tp = data_type if data_type is not None else tp
        if tp is not inspect.Parameter.empty:
            annotations[p.name] = tp
        kept.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=tp))
    names = {p.name for p in kept}
    req_name = next((p.name for p in kept if p.name in ("request", "req") or annotations.get(p.name) is Request), None)
    if req_name is None:
        kept.append(inspect.Parameter(REQUEST_ARG, inspect.Parameter.KEYWORD_ONLY, annotation=Request))
        annotations[REQUEST_ARG] = Request
    if lookup is not None and lookup not in names:
        if not var_kw:
            raise BoltConfigError(f"{where}: a detail route needs a '{lookup}' argument (or **kwargs)")
        tp = lookup_annotation(cls, lookup)
        kept.append(inspect.Parameter(lookup, inspect.Parameter.KEYWORD_ONLY, annotation=tp))
        annotations[lookup] = tp
    if hints.get("return", Any) is not Any:  # `-> Any` (the mixins): the serializer decides
        annotations["return"] = hints["return"]
    path_kw = lookup
    hidden = req_name is None
    req_key = req_name or REQUEST_ARG

    # Speed: one closure per route with everything it needs bound; per request it only
    # creates the view, sets three attributes and calls the method.
    if inspect.iscoroutinefunction(func):

        async def handler(**kwargs: Any) -> Any:
            view = cls()
            request = kwargs.pop(REQUEST_ARG) if hidden else kwargs[req_key]
            view.initialize(request)
            view.action = action
            view.kwargs = {path_kw: kwargs[path_kw]} if path_kw is not None else {}
            return await func(view, **kwargs)

    else:

        def handler(**kwargs: Any) -> Any:  # type: ignore[misc]  # run by sync_to_thread
            view = cls()
            request = kwargs.pop(REQUEST_ARG) if hidden else kwargs[req_key]
            view.initialize(request)
            view.action = action
            view.kwargs = {path_kw: kwargs[path_kw]} if path_kw is not None else {}
            return func(view, **kwargs)

    handler.__signature__ = sig.replace(parameters=kept, return_annotation=annotations.get("return", sig.empty))  # type: ignore[attr-defined]
    handler.__annotations__ = annotations
    handler.__name__ = action
    handler.__qualname__ = f"{cls.__qualname__}.{attr}"
    handler.__module__ = cls.__module__
    handler.__doc__ = func.__doc__
    handler.__bolt_view_class__ = cls  # type: ignore[attr-defined]  # auth: does the view read request.user?
    if hasattr(func, "__bolt_query_docs__"):  # @paginate / @filter on the method
        handler.__bolt_query_docs__ = list(func.__bolt_query_docs__)  # type: ignore[attr-defined]
    return handler


def _first(*values: Any) -> Any:
    for v in values:
        if v is not None:
            return v
    return None


def _common_options(cls: type, guards: Any, auth: Any, tags: list[str] | None) -> dict[str, Any]:
    options: dict[str, Any] = {
        "guards": _first(guards, getattr(cls, "guards", None)),
        "auth": _first(auth, getattr(cls, "auth", None)),
        "tags": list(tags) if tags else None,
    }
    # Only when the class opts in: otherwise add_route's own rule for sync handlers applies.
    if getattr(cls, "sync_to_thread", False):
        options["sync_to_thread"] = True
    return options


def view_routes(
    cls: type,
    path: str,
    *,
    methods: Sequence[str] | None,
    guards: Any,
    auth: Any,
    status_code: int | None,
    tags: list[str] | None,
) -> list[ViewRoute]:
    """The routes of an ``APIView``: one per HTTP-method method it defines."""
    for name in dir(cls):
        if action_of(getattr(cls, name, None)) is not None:
            raise BoltConfigError(f"{_where(cls, name)}: @action needs api.viewset(), not api.view()")
    allowed = [m.lower() for m in getattr(cls, "http_method_names", _HTTP_METHODS)]
    wanted = [m.lower() for m in methods] if methods is not None else None
    if wanted is not None:
        for m in wanted:
            if m not in _HTTP_METHODS:
                raise BoltConfigError(f"{cls.__qualname__}: unknown HTTP method {m!r} in methods=")
            if not callable(getattr(cls, m, None)):
                raise BoltConfigError(f"{cls.__qualname__}: methods= names {m.upper()} but the class has no {m}()")
    routes = []
    base = _common_options(cls, guards, auth, tags)
    for m in _HTTP_METHODS:
        if m not in allowed or (wanted is not None and m not in wanted) or not callable(getattr(cls, m, None)):
            continue
        options = dict(base, status_code=_first(status_code, getattr(cls, "status_code", None), 200))
        routes.append(ViewRoute(m.upper(), path, make_handler(cls, m, m, lookup=None, data_type=None), options))
    if not routes:
        raise BoltConfigError(f"{cls.__qualname__}: api.view() found no get/post/put/patch/delete method to route")
    return routes


def viewset_routes(
    cls: type,
    path: str,
    *,
    guards: Any,
    auth: Any,
    status_code: int | None,
    lookup_field: str,
    tags: list[str] | None,
) -> list[ViewRoute]:
    """The routes of a ``ViewSet``: the standard actions it defines, then its ``@action``s."""
    lookup = lookup_field if lookup_field != "pk" else getattr(cls, "lookup_field", "pk") or "pk"
    base_path = path.rstrip("/")
    detail_path = f"{base_path}/{{{lookup}}}"
    base = _common_options(cls, guards, auth, tags)
    class_status = getattr(cls, "status_code", None)
    routes: list[ViewRoute] = []
    for name, (method, detail, default_status) in STANDARD_ACTIONS.items():
        func = getattr(cls, name, None)
        if not callable(func) or action_of(func) is not None:
            continue
        data_type = _body_type(cls, name)
        handler = make_handler(cls, name, name, lookup=lookup if detail else None, data_type=data_type)
        options = dict(base, status_code=_first(status_code, class_status, default_status))
        if "return" not in handler.__annotations__:
            paged = getattr(func, "__bolt_pagination__", None)  # @paginate on the method
            serializer = _serializer_for(cls, name)
            if paged is not None and serializer is not None:
                options["response_model"] = paged.response_type(output_type(serializer))
            else:
                options["response_model"] = _default_response_model(cls, name)
        docs = getattr(cls, "query_docs_for", None)
        if callable(docs):
            handler.__bolt_query_docs__ = [*getattr(handler, "__bolt_query_docs__", ()), *docs(name)]  # type: ignore[attr-defined]
        finish = one_or_404 if name == "retrieve" else None
        routes.append(ViewRoute(method, detail_path if detail else (base_path or "/"), handler, options, finish))
    for name in sorted(dir(cls)):
        spec = action_of(getattr(cls, name, None))
        if spec is None:
            continue
        sub = (spec.path or name).strip("/")
        route_path = f"{detail_path if spec.detail else base_path}/{sub}"
        handler = make_handler(cls, name, name, lookup=lookup if spec.detail else None, data_type=None)
        options = dict(
            base,
            guards=_first(spec.guards, base["guards"]),
            auth=_first(spec.auth, base["auth"]),
            status_code=_first(spec.status_code, status_code, class_status, 200),
            response_model=spec.response_model,
            summary=spec.summary,
            description=spec.description,
            tags=[*(base["tags"] or []), *(spec.tags or [])] or None,
        )
        for method in spec.methods:
            routes.append(ViewRoute(method.upper(), route_path, handler, options))
    if not routes:
        raise BoltConfigError(f"{cls.__qualname__}: api.viewset() found no action (list, retrieve, ... or @action)")
    return routes


_NOT_FOUND_BODY = b'{"detail":"Not found"}'


def one_or_404(route: Any) -> None:
    """Make the retrieve route answer a one-row list (an evaluated ``filter(pk=...)``
    QuerySet) with its row, and an empty one with 404 ``{"detail": "Not found"}``.

    Speed: ``RetrieveMixin.retrieve`` returns the filtered QuerySet instead of awaiting
    ``aget``: the server evaluates it on the ORM pool with the batched QuerySet-return path
    (a ``.values()`` projection of the serializer's columns, encoded in the pool thread),
    one hop and no per-request loop wake-up of its own."""
    for status, convert in list(route.outputs.items()):

        def first(value: Any, convert: Callable[[Any], Any] = convert) -> Any:
            if type(value) is list:
                if not value:
                    return Response(_NOT_FOUND_BODY, status_code=404, media_type="application/json")
                value = value[0]
            return convert(value)

        route.outputs[status] = first


def _serializer_for(cls: type, action: str) -> Any:
    get = getattr(cls, "serializer_class_for", None)
    return get(action) if callable(get) else getattr(cls, "serializer_class", None)


def _body_type(cls: type, action: str) -> Any:
    if action not in ("create", "update", "partial_update"):
        return None
    serializer = _serializer_for(cls, action)
    if serializer is None:
        return None
    return input_type(serializer, partial=action == "partial_update")


def _default_response_model(cls: type, action: str) -> Any:
    if action == "destroy":
        return None
    # create/update answer with the object as serializer_class shows it, not the body type
    serializer = _serializer_for(cls, "list" if action == "list" else "retrieve")
    if serializer is None:
        return None
    out = output_type(serializer)
    if action != "list":
        return out
    paginator = getattr(cls, "pagination_class_for", None)
    pagination = paginator() if callable(paginator) else None
    if pagination is not None:
        return pagination().response_type(out)
    return list[out]  # type: ignore[valid-type]
