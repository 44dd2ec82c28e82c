"""Django model fields as msgspec types, for ``create_serializer`` (registration time)."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Annotated, Any, Literal

import msgspec

from ..exceptions import BoltConfigError
from ..field_types import URL, Email, Slug

# internal type name -> Python type; the first match in this order wins for subclasses
_SIMPLE: dict[str, Any] = {
    "AutoField": int, "BigAutoField": int, "SmallAutoField": int, "IntegerField": int, "BigIntegerField": int,
    "SmallIntegerField": int, "PositiveIntegerField": int, "PositiveBigIntegerField": int,
    "PositiveSmallIntegerField": int, "FloatField": float, "DecimalField": decimal.Decimal, "BooleanField": bool,
    "NullBooleanField": bool, "CharField": str, "TextField": str, "EmailField": Email, "URLField": URL,
    "SlugField": Slug, "UUIDField": uuid.UUID, "DateTimeField": datetime.datetime, "DateField": datetime.date,
    "TimeField": datetime.time, "DurationField": datetime.timedelta, "JSONField": Any, "BinaryField": bytes,
    "GenericIPAddressField": str, "FilePathField": str, "FileField": str, "ImageField": str,
}  # fmt: skip
_POSITIVE = {"PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField"}


def _base_type(f: Any) -> Any:
    internal = f.get_internal_type()
    if f.choices:
        values = tuple(value for value, _label in f.flatchoices)
        return Literal[values]
    tp = _SIMPLE.get(internal, Any)
    if internal in ("CharField",) and f.max_length:
        return Annotated[str, msgspec.Meta(max_length=f.max_length)]
    if internal in _POSITIVE:
        return Annotated[int, msgspec.Meta(ge=0)]
    return tp


def _default(f: Any) -> Any:
    if f.has_default():
        default = f.default
        if callable(default):
            return msgspec.field(default_factory=default)
        return default
    if f.null:
        return None
    if f.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField"):
        return 0
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return None
    if f.blank and f.get_internal_type() in ("CharField", "TextField", "SlugField", "EmailField", "URLField"):
        return ""
    return msgspec.NODEFAULT


def model_annotations(
    model: Any, fields: Iterable[str] | None, exclude: Iterable[str] | None, nested: dict[str, Any], nested_marker: Any
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(annotations, defaults, auto fields) of a serializer for ``model``."""
    wanted = list(fields) if fields is not None else None
    skip = set(exclude or ())
    concrete = {f.name: f for f in model._meta.get_fields() if getattr(f, "concrete", False) or f.many_to_many}
    names = wanted if wanted is not None else [n for n in concrete if n not in skip]
    annotations: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    auto: list[str] = []
    for name in names:
        f = concrete.get(name)
        if f is None:
            raise BoltConfigError(f"create_serializer({model.__name__}): no field {name!r}")
        if f.many_to_many:
            if name in nested:
                item = nested[name]
                annotations[name] = Annotated[list[item], nested_marker(item, many=True)]  # type: ignore[valid-type]
            else:
                annotations[name] = list[int]
            defaults[name] = msgspec.field(default_factory=list)
            continue
        if f.is_relation:  # a foreign key / one-to-one
            if name in nested:
                tp: Any = Annotated[nested[name], nested_marker(nested[name])]
                key = name
            else:
                tp, key = _base_type(f.target_field), f.attname
            if f.null:
                tp = tp | None
            annotations[key] = tp
            default = _default(f)
            if default is not msgspec.NODEFAULT:
                defaults[key] = default
            continue
        tp = _base_type(f)
        default = _default(f)
        if f.null or default is None:
            tp = tp | None
        annotations[name] = tp
        if default is not msgspec.NODEFAULT:
            defaults[name] = default
        if f.primary_key and f.get_internal_type().endswith("AutoField"):
            auto.append(name)
    # msgspec wants required fields before optional ones only without kw_only; serializers
    # are kw_only, so the model's field order is kept.
    return annotations, defaults, auto
