"""Responses of one operation: per-status models (``response_model``), the return
annotation, response classes with their real media types, ``responses=`` declarations
(models, ``HTTPException`` classes, descriptions) and the built-in 422."""

from __future__ import annotations

import typing
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from .._routing.models import response_model_from
from ..exceptions import BoltConfigError, HTTPException
from ..responses import FileResponse, Redirect, Response
from ..streams import TypedStream
from ._components import REF, Components

if TYPE_CHECKING:
    from .._routing.route import Route

#: What ``_routing/validation.py`` puts in a 422 body: ``{"detail": [entry, ...]}``.
VALIDATION_ERROR = {
    "title": "ValidationError",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        "msg": {"type": "string"},
        "input": {},
    },
    "required": ["type", "loc", "msg", "input"],
}
HTTP_VALIDATION_ERROR = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {"detail": {"type": "array", "items": {"$ref": REF + "ValidationError"}}},
    "required": ["detail"],
}
#: What ``HTTPException`` answers: ``{"detail": ..., "extra": ...}`` (extra only when given).
HTTP_ERROR = {
    "title": "HTTPError",
    "type": "object",
    "properties": {"detail": {}, "extra": {"description": "what the exception's extra= held"}},
    "required": ["detail"],
}
_NO_BODY = (204, 304)


def _description(status: int | str) -> str:
    try:
        return HTTPStatus(int(status)).phrase
    except ValueError:
        return "Response"


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _error_ref(components: Components) -> dict[str, Any]:
    components.schemas.setdefault("HTTPError", HTTP_ERROR)
    return {"$ref": REF + "HTTPError"}


def build_responses(route: Route, components: Components, validated: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    model = response_model_from(route.handler, route.extra.get("response_model"))
    if isinstance(model, dict):
        for status, m in model.items():
            out[str(status)] = _model_response(int(status), m, components)
    elif model is not None:
        out[str(route.status_code)] = _model_response(route.status_code, model, components)
    else:
        status, response = _annotation_response(route, components)
        out[str(status)] = response
    for status, declared in (route.extra.get("responses") or {}).items():
        out[str(status)] = _declared(status, declared, components)
    if validated and "422" not in out:
        components.schemas.setdefault("ValidationError", VALIDATION_ERROR)
        components.schemas.setdefault("HTTPValidationError", HTTP_VALIDATION_ERROR)
        out["422"] = {"description": "Validation Error", "content": _json({"$ref": REF + "HTTPValidationError"})}
    return out


def _model_response(status: int, model: Any, components: Components) -> dict[str, Any]:
    response: dict[str, Any] = {"description": _description(status)}
    if status not in _NO_BODY:
        response["content"] = _json(components.schema_for(model, "serialization"))
    return response


def _annotation_response(route: Route, components: Components) -> tuple[int, dict[str, Any]]:
    """A route without a response model: its return annotation says what leaves."""
    status = route.status_code
    if (cls := route.extra.get("response_class")) is not None:  # a generator handler's class
        return _class_response(cls, status)
    try:
        ret = typing.get_type_hints(route.handler).get("return", Any)
    except NameError:
        ret = Any
    if isinstance(ret, type) and issubclass(ret, TypedStream) and ret.item is not None:
        return status, _stream_response(ret, status, components)
    if isinstance(ret, type) and issubclass(ret, Response):
        return _class_response(ret, status)
    if status in _NO_BODY or ret is type(None):
        return status, {"description": _description(status)}
    if ret is str:
        return status, {"description": _description(status), "content": {"text/plain": {"schema": {"type": "string"}}}}
    if ret is bytes:
        content = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
        return status, {"description": _description(status), "content": content}
    try:
        schema = {} if ret is Any else components.schema_for(ret, "serialization")
    except BoltConfigError:
        # A plain annotation is not enforced on the way out (only response models are), so
        # one the schema libraries cannot describe is documented as any JSON, not refused.
        schema = {}
    return status, {"description": _description(status), "content": _json(schema)}


def _stream_response(stream: type[TypedStream], status: int, components: Components) -> dict[str, Any]:
    """``-> SSE[T]`` / ``-> JSONL[T]``: the stream's media type, with the item's schema as
    ``x-itemSchema`` (OpenAPI 3.2's ``itemSchema`` for sequential media types; a 3.1
    document may only carry it as an extension). The body as a whole is text."""
    item = components.schema_for(stream.item, "serialization")
    if stream.media_type == "text/event-stream":
        note = "Server-Sent Events; each event's data is one item as JSON (x-itemSchema)"
    else:
        note = "JSON Lines; each line is one item as JSON (x-itemSchema)"
    media = {"schema": {"type": "string", "description": note}, "x-itemSchema": item}
    return {"description": _description(status), "content": {stream.media_type: media}}


def _class_response(cls: type[Response], status: int) -> tuple[int, dict[str, Any]]:
    if issubclass(cls, Redirect):
        status = 307 if status == 200 else status  # Redirect's own default status
        location = {"Location": {"schema": {"type": "string", "format": "uri-reference"}}}
        return status, {"description": _description(status), "headers": location}
    binary = {"type": "string", "format": "binary"}
    if issubclass(cls, FileResponse):
        return status, {"description": "A file", "content": {"application/octet-stream": {"schema": binary}}}
    media_type = (cls.media_type or "application/octet-stream").split(";")[0].strip()
    if media_type == "application/json":
        schema: dict[str, Any] = {}
    elif media_type.startswith("text/"):  # HTML, plain text, text/event-stream
        schema = {"type": "string"}
    else:
        schema = binary
    return status, {"description": _description(status), "content": {media_type: {"schema": schema}}}


def _declared(status: int | str, declared: Any, components: Components) -> dict[str, Any]:
    """One ``responses={status: ...}`` entry: an HTTPException class, a description, an
    OpenAPI response object (``"model"`` allowed in it) or a model type."""
    if isinstance(declared, type) and issubclass(declared, HTTPException):
        description = (declared.__doc__ or "").strip().split("\n")[0] or _description(status)
        return {"description": description, "content": _json(_error_ref(components))}
    if isinstance(declared, str):
        response: dict[str, Any] = {"description": declared}
        if str(status)[0] in "45":
            response["content"] = _json(_error_ref(components))
        return response
    if isinstance(declared, dict):
        response = {k: v for k, v in declared.items() if k != "model"}
        response.setdefault("description", _description(status))
        if "model" in declared:
            response["content"] = _json(components.schema_for(declared["model"], "serialization"))
        return response
    return _model_response(int(status), declared, components)
