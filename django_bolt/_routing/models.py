"""Response models, compiled at registration: which model a handler's return value is
checked against (``response_model=`` or the return annotation) and the converter that
validates and shapes it, so that only declared fields leave."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

import msgspec

from .._runtime.jsonenc import RawJSON
from ..exceptions import ResponseValidationError
from ..responses import Response
from .plans import is_model, is_pydantic_model, list_item


def _is_model_type(tp: Any) -> bool:
    if is_model(tp):
        return True
    item = list_item(tp)
    return item is not None and is_model(item)


def response_form(model: Any) -> Any:
    """A Serializer's response form (``__bolt_output__``: no write-only fields, computed
    ones added), also inside ``list[...]`` and per-status dicts; other models unchanged."""
    if isinstance(model, dict):
        return {status: response_form(m) for status, m in model.items()}
    item = list_item(model)
    if item is not None:
        out = getattr(item, "__bolt_output__", None)
        return list[out] if out is not None else model  # type: ignore[valid-type]
    return getattr(model, "__bolt_output__", None) or model


def response_model_from(func: Callable[..., Any], response_model: Any) -> Any:
    """``response_model=`` if given, else the return annotation when it names a model."""
    if response_model is not None:
        paged = getattr(func, "__bolt_paginate__", None)  # @paginate: items of response_model=list[X]
        if paged is not None:
            response_model = paged(response_model)
        return response_form(response_model)
    try:
        ret = typing.get_type_hints(func).get("return")
    except NameError:
        return None
    return response_form(ret) if ret is not None and _is_model_type(ret) else None


def output_converter(model: Any) -> Callable[[Any], Any]:
    """Validate and shape a return value with ``model``: only declared fields leave."""
    item = list_item(model)
    if is_pydantic_model(model) or (item is not None and is_pydantic_model(item)):
        from pydantic import TypeAdapter, ValidationError  # noqa: PLC0415 - only for pydantic models

        adapter: Any = TypeAdapter(model)

        def to_pydantic(value: Any) -> Any:
            if isinstance(value, Response):
                return value
            try:
                return RawJSON(adapter.dump_json(adapter.validate_python(value, from_attributes=True)))
            except ValidationError as exc:
                raise ResponseValidationError(exc.errors(include_url=False)) from exc

        return to_pydantic

    # A Serializer's response form reads model objects through from_model (computed and
    # source= fields); plain Structs convert straight from the attributes.
    prepare = getattr(item if item is not None else model, "__bolt_prepare__", None)
    prepare_many = getattr(item, "__bolt_prepare_many__", None) if item is not None else None

    def to_msgspec(value: Any) -> Any:
        if isinstance(value, Response):
            return value
        if prepare is not None:
            if item is None:
                value = prepare(value)
            elif isinstance(value, list):
                value = prepare_many(value) if prepare_many is not None else [prepare(v) for v in value]
        try:
            return msgspec.convert(value, model, from_attributes=True)
        except msgspec.ValidationError as exc:
            raise ResponseValidationError(str(exc)) from exc

    return to_msgspec
