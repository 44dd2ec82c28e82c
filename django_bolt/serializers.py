"""Serializers: msgspec Structs with validators, read/write-only fields, computed fields and
Django model helpers.

::

    class UserSerializer(Serializer):
        id: int = field(read_only=True, default=0)
        email: Email
        password: str = field(write_only=True)

        class Config:
            model = User
            field_sets = {"list": ["id", "email"]}

        @field_validator("email")
        def lower(cls, value: str) -> str:
            return value.lower()

        @computed_field
        def domain(self) -> str:
            return self.email.split("@")[1]

As a body it is decoded by msgspec and every error of the body (constraints and validators)
comes back in ONE 422; as a response (``-> UserSerializer``, ``response_model=``) write-only
fields are left out, of the JSON and of the OpenAPI schema, and computed fields are added.
See docs/serializers.md.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

import msgspec

from ._django.model_types import model_annotations
from ._django.n_plus_one import check_preloaded, guard_enabled, listing
from ._routing.serializer_meta import (
    Computed,
    FieldConfig,
    FieldSpec,
    Nested,
    SerializerMeta,
    absent_as_unset,
    derive_forms,
    field_info,
    msgspec_field,
    nested_of,
    schema_hidden,
)
from ._routing.validation import msgspec_error
from ._runtime.serializer_errors import all_errors, json_name, run_before
from .exceptions import BoltConfigError, RequestValidationError
from .field_types import *  # noqa: F403 - the constrained aliases are part of this module's API
from .field_types import __all__ as _field_types

__all__ = [
    "FieldConfig", "Meta", "Nested", "Serializer", "SerializerView", "computed_field", "create_serializer",
    "create_serializer_set", "field", "field_validator", "model_validator", *_field_types, "UNSET",
]  # fmt: skip

Meta = msgspec.Meta
#: the value of a field a PATCH body did not send (``Serializer.partial()``)
UNSET = msgspec.UNSET
S = TypeVar("S", bound="Serializer")
_NODEFAULT: Any = msgspec.NODEFAULT
# from_model builds instances of data that is already valid: validators are not re-run.
_trusted: contextvars.ContextVar[bool] = contextvars.ContextVar("bolt_serializer_trusted", default=False)


def field(
    *,
    read_only: bool = False,
    write_only: bool = False,
    source: str | None = None,
    alias: str | None = None,
    default: Any = _NODEFAULT,
    default_factory: Callable[[], Any] | None = None,
    description: str | None = None,
    title: str | None = None,
    examples: list[Any] | None = None,
    deprecated: bool = False,
    exclude: bool = False,
    include_in_schema: bool = True,
) -> Any:
    """A serializer field with options: ``password: str = field(write_only=True)``.
    ``source`` is the model attribute it is read from (``"author.name"`` follows relations);
    ``alias`` its JSON name; ``exclude`` keeps it out of responses."""
    if read_only and write_only:
        raise BoltConfigError("a field cannot be both read_only and write_only")
    config = FieldConfig(
        read_only, write_only, source, alias, description, title, examples, deprecated, exclude, include_in_schema
    )
    return FieldSpec(config, default, default_factory)


def field_validator(name: str, mode: str = "after") -> Callable[[Callable[..., Any]], Any]:
    """``(cls, value) -> value`` run on ``name``; raise ValueError to reject.

    ``mode="after"`` (the default) gets the decoded, typed value. ``mode="before"`` gets
    the raw value of a JSON body or of ``model_validate``'s data (any JSON type: check it)
    before msgspec converts and checks it; what it returns is what gets converted."""
    if mode not in ("before", "after"):
        raise BoltConfigError(f"field_validator: mode must be 'before' or 'after', not {mode!r}")

    def decorator(func: Callable[..., Any]) -> Any:
        target: Any = getattr(func, "__func__", func)  # also under @classmethod
        target.__bolt_field_validator__ = name
        target.__bolt_validator_mode__ = mode
        return target

    return decorator


def model_validator(mode: str = "after") -> Callable[[Callable[..., Any]], Any]:
    """``(self) -> None`` run once every field is valid; raise ValueError to reject.
    Also on PATCH bodies (``partial()``), where the fields not sent are ``UNSET``."""
    if mode != "after":
        raise BoltConfigError("model_validator supports mode='after'")

    def decorator(func: Callable[..., Any]) -> Any:
        func.__bolt_model_validator__ = True  # type: ignore[attr-defined]
        return func

    return decorator


def computed_field(
    func: Callable[..., Any] | None = None,
    *,
    alias: str | None = None,
    description: str | None = None,
    deprecated: bool = False,
    include_in_schema: bool = True,
) -> Any:
    """A read-only value computed from the instance, part of every response."""
    if func is not None:
        return Computed(func, alias, description, include_in_schema)
    return lambda f: Computed(f, alias, description, include_in_schema)


class Serializer(msgspec.Struct, metaclass=SerializerMeta):
    """A msgspec Struct with keyword-only fields, validators and model helpers."""

    __bolt_field_configs__: ClassVar[dict[str, FieldConfig]]
    __bolt_computed__: ClassVar[dict[str, Computed]]
    __bolt_field_validators__: ClassVar[dict[str, list[Callable[..., Any]]]]
    __bolt_before_validators__: ClassVar[dict[str, list[Callable[..., Any]]]]
    __bolt_model_validators__: ClassVar[list[Callable[..., Any]]]
    __bolt_validates__: ClassVar[bool]
    __bolt_output__: ClassVar[Any]
    __bolt_input__: ClassVar[Any]

    def __post_init__(self) -> None:
        if not type(self).__bolt_validates__ or _trusted.get():
            return
        errors = self._run_validators(set())
        if errors:
            raise RequestValidationError(errors)

    def _run_validators(self, failed: set[str]) -> list[dict[str, Any]]:
        """Run every validator; the errors of all of them (``failed``: fields already in error)."""
        cls = type(self)
        errors: list[dict[str, Any]] = []
        for name, funcs in cls.__bolt_field_validators__.items():
            if name in failed:
                continue
            value = getattr(self, name)
            if value is msgspec.UNSET:  # a partial body's field that was not sent
                continue
            try:
                for func in funcs:
                    value = func(cls, value)
                msgspec.structs.force_setattr(self, name, value)
            except (ValueError, TypeError, AssertionError) as exc:
                errors.append(
                    {"type": "value_error", "loc": ["body", json_name(cls, name)], "msg": str(exc), "input": value}
                )
        if not errors and not failed:
            for func in cls.__bolt_model_validators__:
                try:
                    func(self)
                except (ValueError, TypeError, AssertionError) as exc:
                    errors.append({"type": "value_error", "loc": ["body"], "msg": str(exc), "input": None})
        return errors

    # ---- validation from outside data -----------------------------------------------------

    @classmethod
    def model_validate(cls: type[S], data: Any) -> S:
        """``data`` (a dict, or an object with attributes) as an instance; a 422
        ``RequestValidationError`` listing every error otherwise."""
        if cls.__bolt_before_validators__:
            return cls._validate_raw(data if isinstance(data, dict) else _attributes(cls, data))
        try:
            return msgspec.convert(data, cls, from_attributes=True)
        except msgspec.ValidationError as exc:
            raise RequestValidationError(all_errors(cls, data, exc)) from None

    @classmethod
    def model_validate_json(cls: type[S], data: bytes | str) -> S:
        if cls.__bolt_before_validators__:
            try:
                raw = msgspec.json.decode(data)
            except msgspec.DecodeError as exc:
                raise RequestValidationError([msgspec_error(["body"], exc)]) from None
            return cls._validate_raw(raw)
        try:
            return msgspec.json.decode(data, type=cls)
        except msgspec.ValidationError as exc:
            try:
                raw = msgspec.json.decode(data)
            except msgspec.DecodeError:
                raise RequestValidationError([msgspec_error(["body"], exc)]) from None
            raise RequestValidationError(all_errors(cls, raw, exc)) from None
        except msgspec.DecodeError as exc:
            raise RequestValidationError([msgspec_error(["body"], exc)]) from None

    @classmethod
    def _validate_raw(cls: type[S], raw: Any) -> S:
        """The ``mode="before"`` validators on the raw values, then msgspec's conversion
        (and the after validators); every error of the body in one 422."""
        if not isinstance(raw, dict):
            try:
                return msgspec.convert(raw, cls)
            except msgspec.ValidationError as exc:
                raise RequestValidationError([msgspec_error(["body"], exc)]) from None
        data, errors, failed = run_before(cls, raw)
        if errors:
            # The other fields' errors too (those are checked as they are).
            others = all_errors(cls, data, None, skip=failed)
            raise RequestValidationError(errors + others)
        try:
            return msgspec.convert(data, cls)
        except msgspec.ValidationError as exc:
            raise RequestValidationError(all_errors(cls, data, exc)) from None

    @classmethod
    def __bolt_decode__(cls: type[S], body: bytes) -> S:
        """The body decoder the route planner uses for this type (one 422 with all errors)."""
        return cls.model_validate_json(body)

    # ---- models ---------------------------------------------------------------------------

    @classmethod
    def from_model(cls: type[S], instance: Any) -> S:
        """An instance read from a model object's attributes (``source=`` paths, nested
        serializers); write-only fields are left empty and validators are not run."""
        configs = cls.__bolt_field_configs__
        values: dict[str, Any] = {}
        for info in field_info(cls):
            config = configs.get(info.name)
            if config is not None and config.write_only:
                values[info.name] = None
                continue
            source = config.source if config is not None and config.source else info.name
            nested = nested_of(info.type)
            if nested is not None and listing.get() and guard_enabled():
                check_preloaded(cls, instance, source, nested.many)
            value = _read(instance, source)
            if value is _MISSING:
                if info.default is not _NODEFAULT or info.default_factory is not _NODEFAULT:
                    continue
                value = None
            if nested is not None and value is not None:
                if nested.many:
                    items = value.all() if hasattr(value, "all") else value
                    value = [nested.serializer.from_model(v) for v in items]
                else:
                    value = nested.serializer.from_model(value)
            values[info.name] = value
        token = _trusted.set(True)
        try:
            return cls(**values)
        finally:
            _trusted.reset(token)

    @classmethod
    def _prepare_many(cls, values: Iterable[Any]) -> list[Any]:
        """``_prepare_output`` of each item of a list response (the N+1 guard watches)."""
        token = listing.set(True)
        try:
            return [cls._prepare_output(v) for v in values]
        finally:
            listing.reset(token)

    @classmethod
    def _prepare_output(cls, value: Any) -> Any:
        """A return value made ready for the response form (model objects read through
        from_model, so that computed and ``source=`` fields work)."""
        if isinstance(value, (dict, msgspec.Struct)) or value is None:
            return value
        return cls.from_model(value)

    def to_dict(self, exclude_unset: bool = False) -> dict[str, Any]:
        """The fields as a dict (``exclude_unset``: without UNSET ones)."""
        out = {n: getattr(self, n) for n in self.__struct_fields__}
        if exclude_unset:
            out = {k: v for k, v in out.items() if v is not msgspec.UNSET}
        return out

    def _model_values(self, model: Any) -> dict[str, Any]:
        configs = type(self).__bolt_field_configs__
        names = {f.name for f in model._meta.concrete_fields} | {f.attname for f in model._meta.concrete_fields}
        return {
            k: v
            for k, v in self.to_dict(exclude_unset=True).items()
            if k in names and not (k in configs and configs[k].read_only)
        }

    def to_model(self, model: Any = None) -> Any:
        """A new (unsaved) model instance from the writable fields."""
        model = model or getattr(getattr(type(self), "Config", None), "model", None)
        if model is None:
            raise BoltConfigError(f"{type(self).__name__}.to_model: pass the model or set Config.model")
        return model(**self._model_values(model))

    def update_instance(self, instance: Any) -> Any:
        """Set the writable fields on ``instance`` (not saved); returns it."""
        for key, value in self._model_values(type(instance)).items():
            setattr(instance, key, value)
        return instance

    # ---- output ---------------------------------------------------------------------------

    def _output(self) -> Any:
        out = type(self).__bolt_output__
        return self if out is None else msgspec.convert(self, out, from_attributes=True)

    def dump(self, exclude_none: bool = False, exclude_defaults: bool = False) -> dict[str, Any]:
        """The response form as a dict (write-only fields left out, computed ones in)."""
        data: dict[str, Any] = msgspec.to_builtins(self._output())
        if exclude_none:
            data = {k: v for k, v in data.items() if v is not None}
        if exclude_defaults:
            defaults = {i.encode_name: i.default for i in field_info(type(self)) if i.default is not _NODEFAULT}
            data = {k: v for k, v in data.items() if k not in defaults or defaults[k] != v}
        return data

    def dump_json(self) -> bytes:
        return msgspec.json.encode(self._output())

    @classmethod
    def dump_many(cls, items: Iterable[Any]) -> list[dict[str, Any]]:
        return [_as(cls, i).dump() for i in items]

    @classmethod
    def dump_many_json(cls, items: Iterable[Any]) -> bytes:
        return msgspec.json.encode([_as(cls, i)._output() for i in items])

    # ---- variants -------------------------------------------------------------------------

    @classmethod
    def subset(cls, *fields: str, name: str | None = None) -> Any:
        """A serializer with only ``fields`` (their validators and options kept)."""
        infos = {i.name: i for i in field_info(cls)}
        if unknown := [f for f in fields if f not in infos]:
            raise BoltConfigError(f"{cls.__name__}.subset: unknown field(s) {unknown}")
        ns: dict[str, Any] = {"__module__": cls.__module__, "__annotations__": {}}
        for f in fields:
            i = infos[f]
            ns["__annotations__"][f] = i.type
            if i.default is not _NODEFAULT or i.default_factory is not _NODEFAULT or i.encode_name != f:
                ns[f] = msgspec_field(i.default, i.default_factory, i.encode_name if i.encode_name != f else None)
        for klass in cls.__mro__:
            for attr_name, attr in vars(klass).items():
                target = getattr(attr, "__func__", attr)
                if getattr(target, "__bolt_field_validator__", None) in fields:
                    ns.setdefault(attr_name, attr)
        configs = {k: v for k, v in cls.__bolt_field_configs__.items() if k in fields}
        sub = SerializerMeta(name or f"{cls.__name__}Subset", (Serializer,), ns)
        sub.__bolt_field_configs__ = configs
        derive_forms(sub)
        return sub

    @classmethod
    def partial(cls, name: str | None = None) -> Any:
        """A serializer whose every field is optional and ``UNSET`` unless sent (PATCH
        bodies): the field validators run on the fields that are sent, and the model
        validators run too, seeing the fields that were not sent as ``UNSET``."""
        ns: dict[str, Any] = {"__module__": cls.__module__, "__annotations__": {}, "__bolt_partial_of__": cls}
        for i in field_info(cls):
            ns["__annotations__"][i.name] = i.type | msgspec.UnsetType
            ns[i.name] = msgspec_field(msgspec.UNSET, _NODEFAULT, i.encode_name if i.encode_name != i.name else None)
        for klass in cls.__mro__:
            for attr_name, attr in vars(klass).items():
                if getattr(getattr(attr, "__func__", attr), "__bolt_field_validator__", None) is not None:
                    ns.setdefault(attr_name, attr)
        part = SerializerMeta(name or f"{cls.__name__}Patch", (Serializer,), ns)
        part.__bolt_field_configs__ = dict(cls.__bolt_field_configs__)
        part.__bolt_model_validators__ = list(cls.__bolt_model_validators__)
        absent_as_unset(part, (*cls.__bolt_field_configs__, *getattr(cls, "__bolt_absent__", ())))
        part.__bolt_validates__ = bool(part.__bolt_field_validators__ or part.__bolt_model_validators__)
        part.__bolt_schema_hidden__ = schema_hidden(part)
        return part

    @classmethod
    def fields(cls, field_set: str, name: str | None = None) -> Any:
        """``subset`` of the fields named by ``Config.field_sets[field_set]``."""
        sets = getattr(getattr(cls, "Config", None), "field_sets", None) or {}
        if field_set not in sets:
            raise BoltConfigError(f"{cls.__name__}: no field set {field_set!r} in Config.field_sets")
        return cls.subset(*sets[field_set], name=name or f"{cls.__name__}{field_set.title()}")

    @classmethod
    def only(cls, *fields: str) -> SerializerView:
        return SerializerView(cls.subset(*fields))

    @classmethod
    def exclude(cls, *fields: str) -> SerializerView:
        return SerializerView(cls.subset(*[f for f in cls.__struct_fields__ if f not in fields]))

    @classmethod
    def use(cls, field_set: str) -> SerializerView:
        return SerializerView(cls.fields(field_set))


class SerializerView:
    """A narrowed serializer (``only``/``exclude``/``use``) for dumping objects."""

    def __init__(self, serializer: Any) -> None:
        self.serializer = serializer

    def from_model(self, instance: Any) -> Any:
        return self.serializer.from_model(instance)

    def dump(self, obj: Any) -> dict[str, Any]:
        return _as(self.serializer, obj).dump()  # type: ignore[no-any-return]

    def dump_json(self, obj: Any) -> bytes:
        return _as(self.serializer, obj).dump_json()  # type: ignore[no-any-return]

    def dump_many(self, items: Iterable[Any]) -> list[dict[str, Any]]:
        return self.serializer.dump_many(items)  # type: ignore[no-any-return]

    def dump_many_json(self, items: Iterable[Any]) -> bytes:
        return self.serializer.dump_many_json(items)  # type: ignore[no-any-return]


_MISSING: Any = object()


def _attributes(cls: Any, obj: Any) -> dict[str, Any]:
    """The fields of ``cls`` an object has, as a dict keyed by their JSON names (the data
    ``model_validate`` gives the before validators when it is given an object)."""
    out: dict[str, Any] = {}
    for info in field_info(cls):
        value = getattr(obj, info.name, _MISSING)
        if value is not _MISSING:
            out[info.encode_name] = value
    return out


def _read(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if obj is None:
            return None
        obj = obj.get(part, _MISSING) if isinstance(obj, dict) else getattr(obj, part, _MISSING)
        if obj is _MISSING:
            return _MISSING
        if callable(obj) and not hasattr(obj, "all"):
            obj = obj()
    return obj


def _as(cls: Any, obj: Any) -> Any:
    if isinstance(obj, cls):
        return obj
    if isinstance(obj, dict):
        return msgspec.convert(obj, cls)
    return cls.from_model(obj)


# ---- from Django models -------------------------------------------------------------------


def create_serializer(
    model: Any,
    *,
    fields: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    write_only: Iterable[str] | None = None,
    read_only: Iterable[str] | None = None,
    serializer_name: str | None = None,
    nested: dict[str, Any] | None = None,
) -> Any:
    """A Serializer generated from a Django model: each field typed from the model field
    (choices -> Literal, max_length -> a limit, null -> ``| None``, FK -> the related key
    as ``<name>_id``, M2M -> list of keys; ``nested={"author": AuthorSerializer}`` embeds a
    related object instead). The auto primary key is read-only."""
    annotations, defaults, auto = model_annotations(model, fields, exclude, nested or {}, Nested)
    ns: dict[str, Any] = {"__module__": getattr(model, "__module__", __name__), "__annotations__": annotations}
    for key, value in defaults.items():
        ns[key] = value
    ro = set(read_only or ()) | set(auto)
    wo = set(write_only or ())
    ns["Config"] = type("Config", (), {"model": model, "read_only": sorted(ro), "write_only": sorted(wo)})
    return SerializerMeta(serializer_name or f"{model.__name__}Serializer", (Serializer,), ns)


def create_serializer_set(
    model: Any,
    *,
    create_fields: Iterable[str] | None = None,
    update_fields: Iterable[str] | None = None,
    public_fields: Iterable[str] | None = None,
    write_only: Iterable[str] | None = None,
    read_only: Iterable[str] | None = None,
) -> tuple[Any, Any, Any]:
    """``(Create, Update, Public)`` serializers for a model: the create body, the update
    body (every field optional) and the response."""
    name = model.__name__
    create = create_serializer(
        model, fields=create_fields, write_only=write_only, read_only=read_only, serializer_name=f"{name}Create"
    )
    update_base = create_serializer(
        model, fields=update_fields or create_fields, write_only=write_only, serializer_name=f"{name}UpdateBase"
    )
    update_ns: dict[str, Any] = {"__module__": update_base.__module__, "__annotations__": {}}
    for info in field_info(update_base):
        update_ns["__annotations__"][info.name] = info.type | msgspec.UnsetType
        update_ns[info.name] = msgspec.UNSET
    update_ns["Config"] = type("Config", (), {"model": model})
    update = SerializerMeta(f"{name}Update", (Serializer,), update_ns)
    public = create_serializer(
        model, fields=public_fields, read_only=read_only, write_only=write_only, serializer_name=f"{name}Public"
    )
    return create, update, public
