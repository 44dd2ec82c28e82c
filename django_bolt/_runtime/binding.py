"""Per-request binding: raw record pieces -> the handler's keyword arguments.

Hot path. Everything is compiled from the plans of ``_routing/plans.py`` at registration; per request
only the pieces a route needs are decoded (query pairs, headers, cookies, form, JSON body).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import msgspec

from .._routing.plans import ArgPlan, DependencyPlan, is_pydantic_model
from .._routing.uploads import file_extractor
from .._routing.validation import DECODE_ERRORS, body_errors, missing, msgspec_error, pydantic_errors
from ..exceptions import RequestValidationError
from ..request import RequestData, _ReportedError, header_dict, parse_cookies, split_pairs

try:
    from pydantic import ValidationError as PydanticValidationError
except ImportError:  # pragma: no cover - pydantic is a dependency
    PydanticValidationError = ()  # type: ignore[assignment,misc]

_CONVERT_ERRORS = (msgspec.ValidationError, ValueError, TypeError)


# An extractor adds one argument to kwargs, or an error to errors.
Extractor = Callable[[RequestData, dict[str, Any], list[dict[str, Any]]], None]


def _values(data: RequestData, source: str, key: str, is_list: bool) -> Any:
    """The raw value(s) of ``key`` in a source, or None when absent."""
    if source == "query":
        if is_list:
            items = data.query_items()
            found = [items[i + 1] for i in range(0, len(items), 2) if items[i] == key]
            return found or None
        return data.query().get(key)
    if source == "header":
        if is_list:
            items = data.header_items()
            found = [items[i + 1] for i in range(0, len(items), 2) if items[i] == key]
            return found or None
        return data.headers().get(key)
    if source == "cookie":
        return data.cookies().get(key)
    if source == "form":
        if is_list:
            return [v for k, v in data.form_items() if k == key] or None
        return dict(data.form_items()).get(key)
    raise AssertionError(source)  # pragma: no cover


def _scalar(a: ArgPlan) -> Extractor:
    name, source, key, is_list, convert, default = a.name, a.source, a.key, a.is_list, a.convert, a.default
    required = a.required

    def extract(data: RequestData, kwargs: dict[str, Any], errors: list[dict[str, Any]]) -> None:
        raw = _values(data, source, key, is_list)
        if raw is None:
            if required:
                errors.append(missing(source, key))
            else:
                kwargs[name] = default
            return
        try:
            kwargs[name] = convert(raw) if convert else raw
        except _CONVERT_ERRORS as exc:
            errors.append(msgspec_error([source, key], exc, raw))

    return extract


def _path(a: ArgPlan) -> Extractor:
    name, key, position, convert = a.name, a.key, a.position, a.convert

    def extract(data: RequestData, kwargs: dict[str, Any], errors: list[dict[str, Any]]) -> None:
        raw = data.path_values()[position]
        try:
            kwargs[name] = data.path_params[key] = convert(raw) if convert else raw
        except _CONVERT_ERRORS as exc:
            errors.append(msgspec_error(["path", key], exc, raw))

    return extract


def _model(a: ArgPlan) -> Extractor:
    """A parameter model: each field read from the source, then the model validated whole."""
    name, source, fields, convert = a.name, a.source, a.fields or [], a.convert
    assert convert is not None

    def extract(data: RequestData, kwargs: dict[str, Any], errors: list[dict[str, Any]]) -> None:
        raw = {}
        for field, key, is_list in fields:
            value = _values(data, source, key, is_list)
            if value is not None:
                raw[field] = value
        try:
            kwargs[name] = convert(raw)
        except PydanticValidationError as exc:
            errors.extend(pydantic_errors([source], exc))
        except _CONVERT_ERRORS as exc:
            errors.append(msgspec_error([source], exc))

    return extract


def _body(a: ArgPlan) -> Extractor:
    name, key, embed, decode, default, required = a.name, a.key, a.embed, a.convert, a.default, a.required
    annotation = a.annotation
    assert decode is not None

    def extract(data: RequestData, kwargs: dict[str, Any], errors: list[dict[str, Any]]) -> None:
        if not data.body:
            if required:
                errors.append(body_missing())
            else:
                kwargs[name] = default
            return
        if embed:
            try:
                obj = data.json_object()
            except _ReportedError:
                return
            except DECODE_ERRORS as exc:
                errors.append(msgspec_error(["body"], exc))
                return
        try:
            if not embed:
                kwargs[name] = decode(data.body)
                return
            if not isinstance(obj, dict):
                errors.append({"type": "value_error", "loc": ["body"], "msg": "Expected a JSON object", "input": None})
            elif key not in obj:
                if required:
                    errors.append(missing("body", key))
                else:
                    kwargs[name] = default
            else:
                kwargs[name] = _convert_embedded(obj[key], annotation)
        except PydanticValidationError as exc:
            errors.extend(pydantic_errors(["body", key] if embed else ["body"], exc))
        except DECODE_ERRORS as exc:
            if embed:
                errors.append(msgspec_error(["body", key], exc))
            else:
                errors.extend(body_errors(data.body, annotation, exc))

    return extract


def body_missing() -> dict[str, Any]:
    return {"type": "missing", "loc": ["body"], "msg": "Request body required", "input": None}


def _convert_embedded(value: Any, annotation: Any) -> Any:
    if is_pydantic_model(annotation):
        return annotation.model_validate(value)
    return msgspec.convert(value, annotation)


def _request(a: ArgPlan) -> Extractor:
    name = a.name

    def extract(data: RequestData, kwargs: dict[str, Any], errors: list[dict[str, Any]]) -> None:
        kwargs[name] = data.get_request()

    return extract


def compile_extractors(args: list[ArgPlan]) -> list[Extractor]:
    out: list[Extractor] = []
    for a in args:
        if a.source in ("depends", "background"):
            continue  # resolved asynchronously (resolve_dependencies), or by with_background
        if a.source == "path":
            out.append(_path(a))
        elif a.source == "request":
            out.append(_request(a))
        elif a.source == "body":
            out.append(_body(a))
        elif a.source == "file":
            out.append(file_extractor(a))
        elif a.fields is not None:
            out.append(_model(a))
        else:
            out.append(_scalar(a))
    return out


def bind_all(extractors: list[Extractor], data: RequestData) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for extract in extractors:
        extract(data, kwargs, errors)
    if errors:
        raise RequestValidationError(errors)
    return kwargs


#: (method, path, params, query, headers, body, extra) -> handler kwargs; see ``_native/wire.py``.
Binder = Callable[[int, bytes, bytes, bytes, bytes, bytes, bytes], dict[str, Any]]
DATA_KEY = "_bolt_request_data"


def build_binder(args: list[ArgPlan]) -> Binder | None:
    """Compile the plans into one function; None when the handler takes no arguments."""
    if not args:
        return None
    if all(a.source in ("path", "query") and a.fields is None for a in args):
        return _path_query_binder(args)
    if all((a.source in _FAST_SOURCES and a.fields is None) or (a.source == "body" and not a.embed) for a in args):
        return _fast_binder(args)
    extractors = compile_extractors(args)
    has_deps = any(a.source == "depends" for a in args)

    def bind(
        method: int, path: bytes, raw_params: bytes, raw_query: bytes, headers: bytes, body: bytes, extra: bytes
    ) -> dict[str, Any]:
        data = RequestData(method, path, raw_params, raw_query, headers, body, extra)
        kwargs = bind_all(extractors, data)
        if has_deps:
            kwargs[DATA_KEY] = data
        return kwargs

    return bind


def with_dependencies(handler: Callable[..., Any], args: list[ArgPlan]) -> Callable[..., Any]:
    """Wrap an async handler so that its ``Depends`` arguments are resolved first."""
    deps = [(a.name, a.dependency) for a in args if a.dependency is not None]
    compiled: dict[int, list[Extractor]] = {}
    for _, dep in deps:
        _compile_tree(dep, compiled)

    async def call(**kwargs: Any) -> Any:
        data: RequestData = kwargs.pop(DATA_KEY)
        for name, dep in deps:
            kwargs[name] = await resolve(dep, data, compiled)
        return await handler(**kwargs)

    call.__wrapped__ = handler  # type: ignore[attr-defined]
    return call


async def resolve(dep: DependencyPlan, data: RequestData, compiled: dict[int, list[Extractor]]) -> Any:
    """Run one dependency (after its own dependencies), once per request when cached."""
    if dep.use_cache and dep.func in data.deps:
        return data.deps[dep.func]
    kwargs = bind_all(compiled[id(dep)], data)
    for a in dep.args:
        if a.dependency is not None:
            kwargs[a.name] = await resolve(a.dependency, data, compiled)
    result = dep.func(**kwargs)
    if dep.is_async or inspect.isawaitable(result):
        result = await result
    if dep.use_cache:
        data.deps[dep.func] = result
    return result


def _compile_tree(dep: DependencyPlan, compiled: dict[int, list[Extractor]]) -> None:
    compiled[id(dep)] = compile_extractors(dep.args)
    for a in dep.args:
        if a.dependency is not None:
            _compile_tree(a.dependency, compiled)


_FAST_SOURCES = frozenset({"path", "query", "header", "cookie"})


def _fast_binder(args: list[ArgPlan]) -> Binder:
    """Speed: routes whose arguments are all path, query, header or cookie scalars (no
    parameter models) and at most one whole JSON body bind without RequestData or
    extractor closures, decoding only the sections they read. Path parameters are checked
    first, then the rest in signature order. Python-only micro-benchmarks (min of 7 x 20k):
    bind + handler + encode for /items/{id}?q= 2.78 us with the general binder, 2.1 us
    here; binding alone for /bench/params/{id} (path, two query scalars, one header)
    5.2 -> 3.2 us; for the 1 KB /bench/struct body 2.9 -> 2.1 us (msgspec decode ~1.7)."""
    path_args = [(a.name, a.key, a.position, a.convert) for a in args if a.source == "path"]
    other_args = [
        (a.source, a.name, a.key, a.is_list, a.convert, a.default, a.required) for a in args if a.source != "path"
    ]
    body_type = next((a.annotation for a in args if a.source == "body"), None)
    reads_query = any(a.source == "query" for a in args)
    reads_headers = any(a.source in ("header", "cookie") for a in args)
    reads_cookies = any(a.source == "cookie" for a in args)

    def bind(
        method: int, path: bytes, raw_params: bytes, raw_query: bytes, headers: bytes, body: bytes, extra: bytes
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        if path_args:
            values = raw_params.decode().split("\0")
            for name, key, position, convert in path_args:
                raw = values[position]
                try:
                    kwargs[name] = convert(raw) if convert else raw
                except _CONVERT_ERRORS as exc:
                    errors.append(msgspec_error(["path", key], exc, raw))
        if other_args:
            pairs: dict[str, list[str]] = {}
            last: dict[str, dict[str, str]] = {}
            if reads_query:
                pairs["query"] = items = split_pairs(raw_query.decode())
                last["query"] = dict(zip(items[::2], items[1::2]))
            if reads_headers:
                pairs["header"] = items = split_pairs(headers.decode("latin-1"))
                last["header"] = header_dict(items)
                if reads_cookies:
                    last["cookie"] = parse_cookies(last["header"].get("cookie", ""))
            for source, name, key, is_list, convert, default, required in other_args:
                value: Any
                if source == "body":
                    if not body:
                        if required:
                            errors.append(body_missing())
                        else:
                            kwargs[name] = default
                        continue
                    try:
                        kwargs[name] = convert(body)  # type: ignore[misc]
                    except PydanticValidationError as exc:
                        errors.extend(pydantic_errors(["body"], exc))
                    except DECODE_ERRORS as exc:
                        errors.extend(body_errors(body, body_type, exc))  # every problem, not the first
                    continue
                if is_list and source != "cookie":
                    items = pairs[source]
                    value = [items[i + 1] for i in range(0, len(items), 2) if items[i] == key] or None
                else:
                    value = last[source].get(key)
                if value is None:
                    if required:
                        errors.append(missing(source, key))
                    else:
                        kwargs[name] = default
                    continue
                try:
                    kwargs[name] = convert(value) if convert else value
                except _CONVERT_ERRORS as exc:
                    errors.append(msgspec_error([source, key], exc, value))
        if errors:
            raise RequestValidationError(errors)
        return kwargs

    return bind


def _path_query_binder(args: list[ArgPlan]) -> Binder:
    """_fast_binder for the commonest routes: path and query scalars only (``/items/{id}?q=``).

    Speed: the same checks in the same order, without the per-source dictionaries, the
    seven-field tuples and the two slices _fast_binder builds for every request: one dict of
    the query pairs (the last value of a repeated key wins, as there), and the error list only
    when a value is bad. ``Dispatcher.drain`` of ``/items/42?q=abc`` (bench/floor.py, thread
    CPU time, median of three alternations): 3.47 -> 2.75 us per request (bench/RESULTS.md,
    issue 20)."""
    path_args = [(a.name, a.key, a.position, a.convert) for a in args if a.source == "path"]
    query_args = [(a.name, a.key, a.is_list, a.convert, a.default, a.required) for a in args if a.source == "query"]
    several_path_args = len(path_args) > 1

    def bind(
        method: int, path: bytes, raw_params: bytes, raw_query: bytes, headers: bytes, body: bytes, extra: bytes
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        errors: list[dict[str, Any]] | None = None
        if path_args:
            # One parameter is the whole section (Go refuses NUL in a parameter's value).
            values = raw_params.decode().split("\0") if several_path_args else (raw_params.decode(),)
            for name, key, position, convert in path_args:
                raw = values[position]
                try:
                    kwargs[name] = convert(raw) if convert else raw
                except _CONVERT_ERRORS as exc:
                    errors = errors or []
                    errors.append(msgspec_error(["path", key], exc, raw))
        if query_args:
            items = raw_query.decode().split("\0") if raw_query else []
            pairs = iter(items)
            query = dict(zip(pairs, pairs))
            for name, key, is_list, convert, default, required in query_args:
                value: Any = query.get(key)
                if is_list and value is not None:
                    value = [items[i + 1] for i in range(0, len(items), 2) if items[i] == key]
                if value is None:
                    if required:
                        errors = errors or []
                        errors.append(missing("query", key))
                    else:
                        kwargs[name] = default
                    continue
                try:
                    kwargs[name] = convert(value) if convert else value
                except _CONVERT_ERRORS as exc:
                    errors = errors or []
                    errors.append(msgspec_error(["query", key], exc, value))
        if errors:
            raise RequestValidationError(errors)
        return kwargs

    return bind
