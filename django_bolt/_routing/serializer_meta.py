"""Compiling Serializer classes (at class creation, i.e. registration time): the metaclass
that makes fields keyword-only and collects ``field()`` options, validators and computed
fields, and the derived response/request forms. ``django_bolt.serializers`` is the public
side; the classes here are re-exported there."""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any

import msgspec

from ..exceptions import BoltConfigError

_NODEFAULT: Any = msgspec.NODEFAULT
#: the module and name of the base class (its own creation derives no forms)
_BASE = ("django_bolt.serializers", "Serializer")


class FieldConfig(msgspec.Struct, frozen=True):
    """What ``field(...)`` says about a field beyond its default."""

    read_only: bool = False
    write_only: bool = False
    source: str | None = None
    alias: str | None = None
    description: str | None = None
    title: str | None = None
    examples: list[Any] | None = None
    deprecated: bool = False
    exclude: bool = False
    include_in_schema: bool = True


class FieldSpec:
    def __init__(self, config: FieldConfig, default: Any, default_factory: Callable[[], Any] | None) -> None:
        self.config = config
        self.default = default
        self.default_factory = default_factory


class Nested:
    """``author: Annotated[AuthorSerializer, Nested(AuthorSerializer)]``: a related object
    (``many=True``: a related manager's objects) serialized with ``serializer``."""

    def __init__(self, serializer: type[Any], *, many: bool = False, max_items: int | None = None) -> None:
        if max_items is not None:
            if not many:
                raise BoltConfigError("Nested(max_items=...) needs many=True")
            if isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0:
                raise BoltConfigError(f"Nested(max_items=...) must be an int >= 0, not {max_items!r}")
        self.serializer = serializer
        self.many = many
        #: a request body with more items is a 422 (responses are not limited)
        self.max_items = max_items


class Computed:
    def __init__(self, func: Callable[..., Any], alias: str | None, description: str | None, include: bool) -> None:
        self.func = func
        self.alias = alias
        self.description = description
        self.include_in_schema = include


def _resolve(annotation: Any, module: str) -> Any:
    if isinstance(annotation, str):
        namespace = dict(vars(sys.modules[module])) if module in sys.modules else {}
        namespace.setdefault("Annotated", Annotated)
        try:
            return eval(annotation, namespace)  # noqa: S307 - a class's own annotation, as typing does
        except Exception:
            return annotation
    return annotation


class SerializerMeta(type(msgspec.Struct)):  # type: ignore[misc]
    """Makes every field keyword-only and compiles ``field()``/validators/computed fields."""

    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any], **kwargs: Any) -> Any:
        kwargs.setdefault("kw_only", True)
        module = ns.get("__module__", __name__)
        annotations = dict(ns.get("__annotations__", {}))
        configs: dict[str, FieldConfig] = {}
        computed: dict[str, Computed] = {}
        for key, value in list(ns.items()):
            if isinstance(value, FieldSpec):
                configs[key] = value.config
                meta = _meta_of(value.config)
                if meta is not None and key in annotations:
                    annotations[key] = Annotated[_resolve(annotations[key], module), meta]
                ns[key] = msgspec_field(value.default, value.default_factory or _NODEFAULT, value.config.alias)
            elif isinstance(value, Computed):
                computed[key] = value
                del ns[key]
        for key, annotation in annotations.items():
            limited = _limit_items(_resolve(annotation, module) if "max_items" in str(annotation) else annotation)
            if limited is not None:
                annotations[key] = limited
        ns["__annotations__"] = annotations
        cls = super().__new__(mcls, name, bases, ns, **kwargs)
        for base in reversed(cls.__mro__[1:]):
            for key, config in getattr(base, "__bolt_field_configs__", {}).items():
                configs.setdefault(key, config)
            for key, comp in getattr(base, "__bolt_computed__", {}).items():
                computed.setdefault(key, comp)
        config_cls = ns.get("Config") or getattr(cls, "Config", None)
        for key in getattr(config_cls, "read_only", ()) or ():
            configs[key] = msgspec.structs.replace(configs.get(key, FieldConfig()), read_only=True)
        for key in getattr(config_cls, "write_only", ()) or ():
            configs[key] = msgspec.structs.replace(configs.get(key, FieldConfig()), write_only=True)
        for comp_name, comp in computed.items():
            setattr(cls, comp_name, property(comp.func))
        cls.__bolt_field_configs__ = configs
        cls.__bolt_computed__ = computed
        field_validators: dict[str, list[Callable[..., Any]]] = {}
        before_validators: dict[str, list[Callable[..., Any]]] = {}
        model_validators: list[Callable[..., Any]] = []
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                target = getattr(attr, "__func__", attr)
                if (fname := getattr(target, "__bolt_field_validator__", None)) is not None:
                    before = getattr(target, "__bolt_validator_mode__", "after") == "before"
                    (before_validators if before else field_validators).setdefault(fname, []).append(target)
                if getattr(target, "__bolt_model_validator__", False):
                    model_validators.append(target)
        names = set(cls.__struct_fields__)
        if unknown := [f for f in [*field_validators, *before_validators] if f not in names]:
            raise BoltConfigError(f"{name}: field_validator for unknown field(s) {unknown}")
        cls.__bolt_field_validators__ = field_validators
        cls.__bolt_before_validators__ = before_validators
        cls.__bolt_model_validators__ = model_validators
        cls.__bolt_validates__ = bool(field_validators or model_validators)
        if (module, name) != _BASE:
            derive_forms(cls)
        return cls


def msgspec_field(default: Any, default_factory: Any, name: str | None) -> Any:
    field_any: Any = msgspec.field
    return field_any(default=default, default_factory=default_factory, name=name)


def _meta_of(config: FieldConfig) -> Any:
    extra: dict[str, Any] = {}
    if config.description:
        extra["description"] = config.description
    if config.title:
        extra["title"] = config.title
    if config.examples:
        extra["examples"] = config.examples
    if config.deprecated:
        extra["extra_json_schema"] = {"deprecated": True}
    return msgspec.Meta(**extra) if extra else None


def field_info(cls: type) -> list[Any]:
    return list(msgspec.structs.fields(cls))


def derive_forms(cls: Any) -> None:
    """``__bolt_output__`` (response form: no write-only/excluded fields, plus computed ones)
    and ``__bolt_input__`` (request form: no read-only fields), when they differ from cls."""
    configs: dict[str, FieldConfig] = cls.__bolt_field_configs__
    try:
        infos = field_info(cls)
    except (NameError, TypeError):  # forward references not resolvable yet: no derived forms
        cls.__bolt_output__ = cls.__bolt_input__ = None
        return
    cls.__bolt_schema_hidden__ = schema_hidden(cls)
    hidden = {n for n, c in configs.items() if c.write_only or c.exclude}
    sourced = any(c.source for c in configs.values())
    nested = any(nested_of(i.type) is not None for i in infos)
    limited = any(_unlimited(i.type) is not i.type for i in infos)
    if hidden or cls.__bolt_computed__ or sourced or nested or limited:
        fields: list[Any] = []
        for i in infos:
            if i.name in hidden:
                continue
            tp = _unlimited(i.type)  # max_items limits request bodies, not responses
            fields.append((i.name, tp, msgspec_field(i.default, i.default_factory, i.encode_name)))
        hints = {}
        for comp_name, comp in cls.__bolt_computed__.items():
            try:
                hints[comp_name] = typing.get_type_hints(comp.func).get("return", Any)
            except NameError:
                hints[comp_name] = Any
            # UNSET when absent (a dict without it): no null default against a non-null type
            computed_type = hints[comp_name] | msgspec.UnsetType
            if comp.description:
                computed_type = Annotated[computed_type, msgspec.Meta(description=comp.description)]
            fields.append((comp_name, computed_type, msgspec.field(default=msgspec.UNSET, name=comp.alias)))
        out = msgspec.defstruct(f"{cls.__name__}Response", fields, kw_only=True, module=cls.__module__)
        out.__bolt_schema_hidden__ = frozenset(  # type: ignore[attr-defined]
            [*(i.encode_name for i in infos if i.name in configs and not configs[i.name].include_in_schema)]
            + [comp.alias or n for n, comp in cls.__bolt_computed__.items() if not comp.include_in_schema]
        )
        out.__bolt_prepare__ = staticmethod(cls._prepare_output)  # type: ignore[attr-defined]
        out.__bolt_prepare_many__ = staticmethod(cls._prepare_many)  # type: ignore[attr-defined]
        cls.__bolt_output__ = out
    else:
        cls.__bolt_output__ = None
    read_only = [n for n, c in configs.items() if c.read_only and n in cls.__struct_fields__]
    if not read_only:
        cls.__bolt_input__ = None
        return
    form = cls.subset(*[n for n in cls.__struct_fields__ if n not in read_only], name=f"{cls.__name__}Input")
    # The request form is the same serializer: its model validators run on bodies too.
    form.__bolt_model_validators__ = list(cls.__bolt_model_validators__)
    form.__bolt_validates__ = bool(form.__bolt_field_validators__ or form.__bolt_model_validators__)
    absent_as_unset(form, read_only)
    cls.__bolt_input__ = form


def absent_as_unset(form: Any, names: Any) -> None:
    """Class attributes ``UNSET`` for fields a form leaves out (read-only ones in a request
    body): a model validator reading ``self.id`` there sees ``UNSET``, not an AttributeError."""
    absent = tuple(n for n in names if n not in form.__struct_fields__)
    for name in absent:
        setattr(form, name, msgspec.UNSET)
    form.__bolt_absent__ = absent  # its partial() form leaves them out too


def nested_of(tp: Any) -> Nested | None:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):  # Annotated[S, Nested(S)] | None
        return next((n for a in typing.get_args(tp) if (n := nested_of(a)) is not None), None)
    if typing.get_origin(tp) is Annotated:
        for extra in typing.get_args(tp)[1:]:
            if isinstance(extra, Nested):
                return extra
    return None


def schema_hidden(cls: Any) -> frozenset[str]:
    """The JSON names of the fields declared ``include_in_schema=False``: left out of the
    OpenAPI schema (openapi/_msgspec_schema.py), still decoded and encoded."""
    configs: dict[str, FieldConfig] = getattr(cls, "__bolt_field_configs__", {})
    try:
        infos = field_info(cls)
    except (NameError, TypeError):
        return frozenset()
    return frozenset(i.encode_name for i in infos if i.name in configs and not configs[i.name].include_in_schema)


def _limit_items(tp: Any) -> Any:
    """``tp`` with ``msgspec.Meta(max_length=N)`` added next to each ``Nested(max_items=N)``
    (msgspec then rejects a longer list when decoding: a 422), or None when it has none."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        limited = [_limit_items(a) for a in args]
        if all(a is None for a in limited):
            return None
        new = [n if n is not None else a for a, n in zip(args, limited, strict=True)]
        return typing.Union[tuple(new)]  # noqa: UP007 - built from a tuple
    if origin is Annotated:
        extras = typing.get_args(tp)[1:]
        nested = next((e for e in extras if isinstance(e, Nested)), None)
        if nested is None or nested.max_items is None:
            return None
        if any(isinstance(e, msgspec.Meta) and e.max_length == nested.max_items for e in extras):
            return None  # already limited (a subclass re-reading its base's annotation)
        return Annotated[tp, msgspec.Meta(max_length=nested.max_items)]
    return None


def _unlimited(tp: Any) -> Any:
    """``tp`` without the ``max_length`` that ``_limit_items`` added (``tp`` itself if none)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        new = [_unlimited(a) for a in args]
        if all(n is a for n, a in zip(new, args, strict=True)):
            return tp
        return typing.Union[tuple(new)]  # noqa: UP007 - built from a tuple
    if origin is Annotated:
        inner, *extras = typing.get_args(tp)
        nested = next((e for e in extras if isinstance(e, Nested)), None)
        if nested is None or nested.max_items is None:
            return tp
        kept = [e for e in extras if not (isinstance(e, msgspec.Meta) and e.max_length == nested.max_items)]
        if len(kept) == len(extras):
            return tp
        return Annotated[(inner, *kept)]
    return tp
