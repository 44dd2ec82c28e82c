"""Parameter plans, built once per route at registration.

Where each handler argument comes from is decided here, from the signature:

- an explicit marker (``Query()``, ``Header()``, ``Depends(...)``..., as the default value or
  inside ``Annotated[...]``) wins;
- a name that appears in the path is a path parameter;
- ``request``/``req`` (or a ``Request`` annotation) is the request object;
- a scalar (or a list of scalars) is a query parameter;
- anything else (msgspec Struct, Pydantic model, dataclass, TypedDict, dict, list of models)
  is the JSON body.

A plan compiles to one extractor per argument; ``_runtime/binding.py`` runs them per request.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import inspect
import types
import typing
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import msgspec

from .._runtime.background import BackgroundTasks
from ..datastructures import UploadFile
from ..exceptions import BoltConfigError
from ..params import REQUIRED, Depends, Param
from ..request import Request

_SCALARS = (str, int, float, bool, bytes, uuid.UUID, decimal.Decimal, datetime.datetime, datetime.date, datetime.time)
BODYLESS_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
_LIST_ORIGINS = (list, tuple, set, frozenset)

Converter = Callable[[Any], Any]


@dataclasses.dataclass
class ArgPlan:
    """How one handler argument is obtained."""

    name: str  # the handler's argument name
    source: str  # path | query | header | cookie | body | form | file | request | depends
    key: str  # where it is found in the request (alias; header names lower-case)
    annotation: Any
    default: Any  # REQUIRED when the request must supply it
    convert: Converter | None = None  # raw value -> typed value (raises on bad input)
    is_list: bool = False  # collects every value of a repeated key
    position: int = -1  # path parameters: index in the path
    fields: list[tuple[str, str, bool]] | None = None  # parameter models: (field, key, is_list)
    embed: bool = False  # body: read {key: value} instead of the whole body
    marker: Param | None = None
    dependency: DependencyPlan | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclasses.dataclass
class DependencyPlan:
    """A ``Depends(fn)``: fn's own arguments are planned like a handler's."""

    func: Callable[..., Any]
    use_cache: bool
    args: list[ArgPlan]
    is_async: bool


def strip_optional(tp: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) < len(typing.get_args(tp)):
            return (args[0] if len(args) == 1 else typing.Union[tuple(args)]), True  # noqa: UP007 - built from a tuple
    return tp, False


def is_scalar(tp: Any) -> bool:
    if tp in _SCALARS or tp is Any:
        return True
    if typing.get_origin(tp) is Annotated:
        return is_scalar(typing.get_args(tp)[0])
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return True
    if typing.get_origin(tp) is typing.Literal:
        return True
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return all(is_scalar(a) for a in typing.get_args(tp) if a is not type(None))
    return False


def list_item(tp: Any) -> Any | None:
    """``list[int]`` -> int; None when tp is not a list-like type."""
    if typing.get_origin(tp) in _LIST_ORIGINS:
        args = typing.get_args(tp)
        return args[0] if args else str
    return None


def is_pydantic_model(tp: Any) -> bool:
    try:
        from pydantic import BaseModel  # noqa: PLC0415 - optional: loaded only to check for pydantic models
    except ImportError:  # pragma: no cover - pydantic is a dependency
        return False
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def is_model(tp: Any) -> bool:
    """A msgspec Struct, Pydantic model or dataclass (usable as a parameter model)."""
    return isinstance(tp, type) and (
        issubclass(tp, msgspec.Struct) or dataclasses.is_dataclass(tp) or is_pydantic_model(tp)
    )


def _fast_int(value: str) -> int:
    # Speed: int() on plain ASCII digits is ~4x cheaper than msgspec.convert. An integer
    # is ASCII digits with an optional "-" (as Django's and django-bolt's int converters):
    # msgspec's lax mode would also take "1e10" and "1.0", which are refused here.
    if value.isascii() and value.isdigit():
        return int(value)
    digits = value[1:] if value.startswith("-") else value
    if not (digits.isascii() and digits.isdigit()):
        raise msgspec.ValidationError("Expected `int`, got `str`")
    return int(value)


def constrained_type(tp: Any, marker: Param | None) -> Any:
    """``tp`` annotated with the marker's limits, as the runtime validates it (the OpenAPI
    document describes this same type)."""
    constraints = marker.constraints() if marker else {}
    if not constraints:
        return tp
    item = list_item(tp)
    if item is not None:  # limits apply to each item; min/max_length to the list itself
        tp = typing.get_origin(tp)[Annotated[item, msgspec.Meta(**_item_limits(constraints))]]
        return Annotated[tp, msgspec.Meta(**_list_limits(constraints))] if _list_limits(constraints) else tp
    return Annotated[tp, msgspec.Meta(**constraints)]


def scalar_converter(tp: Any, marker: Param | None) -> Converter | None:
    """Converter from a raw string (or list of strings) to ``tp`` with the marker's limits."""
    if marker and marker.constraints():
        tp = constrained_type(tp, marker)
    elif tp is str or tp is Any:
        return None
    elif tp is int:
        return _fast_int
    if typing.get_origin(tp) is Annotated and typing.get_args(tp)[0] is int:
        limited = tp  # an int with limits: the integer syntax first, then the limits

        def convert_int(value: Any) -> Any:
            return msgspec.convert(_fast_int(value), limited)

        return convert_int
    return lambda value: msgspec.convert(value, tp, strict=False)


def _item_limits(c: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in c.items() if k not in ("min_length", "max_length")}


def _list_limits(c: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in c.items() if k in ("min_length", "max_length")}


def model_converter(tp: Any) -> Converter:
    """Converter from a dict of raw strings (a parameter model) to the model."""
    if is_pydantic_model(tp):
        return tp.model_validate  # type: ignore[no-any-return]
    return lambda value: msgspec.convert(value, tp, strict=False)


def body_decoder(tp: Any) -> Converter:
    """Decoder from JSON bytes to ``tp`` (msgspec, or pydantic-core for Pydantic models)."""
    if is_pydantic_model(tp):
        return tp.model_validate_json  # type: ignore[no-any-return]
    custom = getattr(tp, "__bolt_decode__", None)  # a Serializer: one 422 with every error
    if custom is not None:
        return custom  # type: ignore[no-any-return]
    return msgspec.json.Decoder(tp).decode


def model_fields(tp: Any) -> list[tuple[str, Any]]:
    """(name, type) of each field of a Struct, dataclass or Pydantic model."""
    if is_pydantic_model(tp):
        return [(n, f.annotation) for n, f in tp.model_fields.items()]
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return [(f.encode_name, f.type) for f in msgspec.structs.fields(tp)]
    return [(f.name, typing.get_type_hints(tp).get(f.name, str)) for f in dataclasses.fields(tp)]


def header_key(name: str, marker: Param | None) -> str:
    if marker and marker.alias:
        return marker.alias.lower()
    if marker is None or marker.convert_underscores:
        return name.replace("_", "-").lower()
    return name.lower()


def _split_annotation(tp: Any) -> tuple[Any, Param | Depends | None]:
    """``Annotated[int, Query(gt=0)]`` -> (int, Query marker)."""
    if typing.get_origin(tp) is Annotated:
        base, *extras = typing.get_args(tp)
        for extra in extras:
            if isinstance(extra, (Param, Depends)):
                return base, extra
    return tp, None


def _where(func: Callable[..., Any]) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


def plan_arguments(
    func: Callable[..., Any], method: str, path_names: list[str], dependency: bool = False
) -> list[ArgPlan]:
    """Decide the source and converter of every argument of ``func`` (start-up only)."""
    where = _where(func)
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except NameError as exc:
        raise BoltConfigError(
            f"{where}: cannot resolve its type hints ({exc}); import the types at module level"
        ) from exc
    plans: list[ArgPlan] = []
    for p in inspect.signature(func).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise BoltConfigError(f"{where}: *args/**kwargs are not supported as handler parameters")
        tp, marker = _split_annotation(hints.get(p.name, Any))
        default = REQUIRED if p.default is inspect.Parameter.empty else p.default
        if isinstance(default, (Param, Depends)):
            marker, default = default, (default.default if isinstance(default, Param) else REQUIRED)
        elif isinstance(marker, Param) and marker.default is not REQUIRED and default is REQUIRED:
            default = marker.default
        plans.append(_plan_one(where, p.name, tp, marker, default, method, path_names))
    declared = {a.name for a in plans if a.source == "path"}
    # A dependency reads the path parameters it wants; only a handler must take them all.
    if not dependency and (missing := [n for n in path_names if n not in declared]):
        raise BoltConfigError(f"{where}: path parameter(s) {missing} have no matching handler argument")
    bodies = [a for a in plans if a.source == "body"]
    if len(bodies) > 1:
        for a in bodies:
            a.embed = True  # several body arguments: each is a key of one JSON object
    return plans


def _plan_one(where: str, name: str, tp: Any, marker: Any, default: Any, method: str, path_names: list[str]) -> ArgPlan:
    if isinstance(marker, Depends):
        func = marker.dependency
        if func is None:
            if not callable(tp):
                raise BoltConfigError(f"{where}: Depends() on '{name}' needs a callable")
            func = tp
        return ArgPlan(
            name, "depends", name, tp, REQUIRED, dependency=plan_dependency(func, marker.use_cache, method, path_names)
        )
    inner, _ = strip_optional(tp)
    source = marker.source if isinstance(marker, Param) else _infer_source(name, inner, path_names)
    key = marker.alias if isinstance(marker, Param) and marker.alias else name
    if source == "path":
        if name not in path_names and key not in path_names:
            raise BoltConfigError(f"{where}: Path() argument '{name}' is not in the route path")
        if not is_scalar(inner):
            raise BoltConfigError(f"{where}: path parameter '{name}' must be a scalar, not {tp!r}")
        position = path_names.index(key if key in path_names else name)
        return ArgPlan(
            name, "path", key, inner, REQUIRED, scalar_converter(inner, marker), position=position, marker=marker
        )
    if source == "request":
        return ArgPlan(name, "request", name, tp, REQUIRED)
    if source == "background":
        return ArgPlan(name, "background", name, tp, REQUIRED)
    if source in ("body",):
        if method in BODYLESS_METHODS:
            raise BoltConfigError(f"{where}: {method} handlers cannot take a request body ('{name}')")
        embed = bool(marker.embed) if isinstance(marker, Param) else False
        return ArgPlan(name, "body", key, tp, default, body_decoder(tp), embed=embed, marker=marker)
    if source == "file":
        return _plan_file(where, name, key, tp, inner, marker, default, method)
    if source == "header":
        key = header_key(name, marker)
    if is_model(inner) and source in ("query", "header", "cookie", "form"):
        fields = [
            (f, header_key(f, marker) if source == "header" else f, list_item(strip_optional(ft)[0]) is not None)
            for f, ft in model_fields(inner)
        ]
        return ArgPlan(name, source, key, inner, default, model_converter(inner), fields=fields, marker=marker)
    item = list_item(inner)
    if item is not None and is_scalar(item):
        return ArgPlan(name, source, key, inner, default, scalar_converter(inner, marker), is_list=True, marker=marker)
    if not is_scalar(inner):
        raise BoltConfigError(f"{where}: {source} parameter '{name}' must be a scalar or a list of scalars, not {tp!r}")
    if source == "form" and method in BODYLESS_METHODS:
        raise BoltConfigError(f"{where}: {method} handlers cannot take form fields ('{name}')")
    return ArgPlan(name, source, key, inner, default, scalar_converter(inner, marker), marker=marker)


def _plan_file(where: str, name: str, key: str, tp: Any, inner: Any, marker: Any, default: Any, method: str) -> ArgPlan:
    """A File() argument: UploadFile, bytes, or a list of either."""
    if method in BODYLESS_METHODS:
        raise BoltConfigError(f"{where}: {method} handlers cannot take uploaded files ('{name}')")
    item = list_item(inner)
    kind = item if item is not None else inner
    if kind not in (UploadFile, bytes):
        raise BoltConfigError(
            f"{where}: File() argument '{name}' must be UploadFile, bytes or a list of them, not {tp!r}"
        )
    return ArgPlan(name, "file", key, kind, default, is_list=item is not None, marker=marker)


def _infer_source(name: str, tp: Any, path_names: list[str]) -> str:
    if name in path_names:
        return "path"
    if name in ("request", "req") or tp is Request or getattr(typing.get_origin(tp) or tp, "__bolt_request__", False):
        return "request"
    if tp is BackgroundTasks:
        return "background"
    if tp is UploadFile or list_item(tp) is UploadFile:
        return "file"
    if is_scalar(tp):
        return "query"
    item = list_item(tp)
    if item is not None and is_scalar(item):
        return "query"
    return "body"


def plan_dependency(func: Callable[..., Any], use_cache: bool, method: str, path_names: list[str]) -> DependencyPlan:
    # an async function, or an object whose __call__ is one
    is_async = inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(type(func).__call__)
    args = plan_arguments(func, method, path_names, dependency=True)
    return DependencyPlan(func, use_cache, args, is_async)


def needs_form(args: list[ArgPlan]) -> bool:
    """Whether Go must parse form bodies (urlencoded and multipart) for this route."""
    for a in args:
        if a.source in ("request", "form", "file"):
            return True
        if a.dependency and needs_form(a.dependency.args):
            return True
    return False


def needs_headers(args: list[ArgPlan]) -> bool:
    """Whether Go must copy the request headers for this route."""
    for a in args:
        if a.source in ("request", "header", "cookie"):
            return True
        if a.dependency and needs_headers(a.dependency.args):
            return True
    return False
