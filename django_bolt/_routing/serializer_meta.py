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
        self.serializer = serializer
        self.many = many
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
        model_validators: list[Callable[..., Any]] = []
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                target = getattr(attr, "__func__", attr)
                if (fname := getattr(target, "__bolt_field_validator__", None)) is not None:
                    field_validators.setdefault(fname, []).append(target)
                if getattr(target, "__bolt_model_validator__", False):
                    model_validators.append(target)
        names = set(cls.__struct_fields__)
        if unknown := [f for f in field_validators if f not in names]:
            raise BoltConfigError(f"{name}: field_validator for unknown field(s) {unknown}")
        cls.__bolt_field_validators__ = field_validators
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
    hidden = {n for n, c in configs.items() if c.write_only or c.exclude}
    sourced = any(c.source for c in configs.values())
    nested = any(nested_of(i.type) is not None for i in infos)
    if hidden or cls.__bolt_computed__ or sourced or nested:
        fields: list[Any] = []
        for i in infos:
            if i.name in hidden:
                continue
            default = i.default if i.default is not _NODEFAULT else msgspec.field(default_factory=i.default_factory)
            if i.default is _NODEFAULT and i.default_factory is _NODEFAULT:
                fields.append((i.name, i.type, msgspec.field(name=i.encode_name)))
            else:
                fields.append((i.name, i.type, msgspec.field(default=default, name=i.encode_name)))
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
        out.__bolt_prepare__ = staticmethod(cls._prepare_output)  # type: ignore[attr-defined]
        out.__bolt_prepare_many__ = staticmethod(cls._prepare_many)  # type: ignore[attr-defined]
        cls.__bolt_output__ = out
    else:
        cls.__bolt_output__ = None
    read_only = [n for n, c in configs.items() if c.read_only and n in cls.__struct_fields__]
    cls.__bolt_input__ = (
        cls.subset(*[n for n in cls.__struct_fields__ if n not in read_only], name=f"{cls.__name__}Input")
        if read_only
        else None
    )


def nested_of(tp: Any) -> Nested | None:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):  # Annotated[S, Nested(S)] | None
        return next((n for a in typing.get_args(tp) if (n := nested_of(a)) is not None), None)
    if typing.get_origin(tp) is Annotated:
        for extra in typing.get_args(tp)[1:]:
            if isinstance(extra, Nested):
                return extra
    return None
