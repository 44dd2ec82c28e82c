"""Compiled SELECTs of a ViewSet's class ``queryset``: ``list``, ``retrieve`` and pages
(count + window) without Django's SQL compiler per request.

Speed: for ``queryset = Member.objects.filter(...).order_by("id")`` answered through a
``.values(...)`` projection, Django spends ~170 of the ~200 µs of thread CPU a ten-row
``list(qs.values(...))`` costs in cloning the query, ``values()``, the compiler and the
values iterable; the query itself (execute + fetchall) is ~25 µs (bench/RESULTS.md, issue
19 second pass). The SQL of that QuerySet is the same for every request, so it is compiled
once per database connection and reused; only the lookup value of ``retrieve`` changes,
and it is prepared for the database exactly as Django's ``exact`` lookup does. Rows are
still read from the database on every request, with Django's own converters: this caches
a statement, never a result. Pages: the ``COUNT`` Django ran for the queryset (captured
once with an execute wrapper) and the SELECT followed by the backend's own
``limit_offset_sql`` (proven at compile time to be what Django appends for a slice).

When it applies: the QuerySet is the one ``ViewSet.get_queryset()`` made from the class
attribute (``mark``), with nothing chained on it (any ``filter()``/``order_by()``/... makes
a new, unmarked QuerySet) and, for ``retrieve``, only the lookup as a deferred filter
(Django's own ``_defer_next_filter``: touching ``.query`` applies it the normal way, so the
QuerySet stays a correct QuerySet for any code that uses it). Anything else, or a query
this module cannot prove it reproduces (see ``_compile``), takes Django's normal path.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections
from django.db.models import Field, QuerySet
from django.db.models.query import ModelIterable
from django.utils import timezone

#: the attribute a marked QuerySet carries: the class-level QuerySet it was cloned from
ORIGIN = "_bolt_origin"
#: the per-connection cache, an attribute of Django's connection wrapper (one thread uses a
#: connection at a time, so no lock is needed)
_CACHE = "_bolt_compiled_selects"

#: two values of each supported key type, to find the lookup's parameter in the SQL
_SENTINELS: dict[type, tuple[Any, Any]] = {
    int: (1, 2),
    str: ("a", "b"),
    uuid.UUID: (uuid.UUID(int=1), uuid.UUID(int=2)),
}


def mark(queryset: QuerySet[Any], origin: QuerySet[Any]) -> QuerySet[Any]:
    """Tag a fresh clone of the class queryset ``origin`` as eligible (see module doc);
    ``origin`` must be a QuerySet (a Manager there, or a clone of another class: untagged)."""
    if isinstance(origin, QuerySet) and isinstance(queryset, QuerySet) and queryset.model is origin.model:
        queryset.__dict__[ORIGIN] = origin
    return queryset


def defer_lookup(queryset: QuerySet[Any], lookup: dict[str, Any]) -> QuerySet[Any]:
    """``queryset.filter(**lookup)`` with the filter deferred (Django applies it when the
    query is first used) and the mark kept: ``select`` reads the lookup from it instead."""
    queryset._defer_next_filter = True  # type: ignore[attr-defined]
    found = queryset.filter(**lookup)
    origin = queryset.__dict__.get(ORIGIN)
    if origin is not None:
        found.__dict__[ORIGIN] = origin
    return found


class _Compiled:
    """One compiled SELECT on one connection."""

    __slots__ = (
        "col_count",
        "compiler",
        "converters",
        "fingerprint",
        "index",
        "names",
        "params",
        "prep",
        "sql",
        "trim",
    )

    def __init__(self) -> None:
        #: the class queryset's query as compiled (a clone edited in place differs: not eligible)
        self.fingerprint: tuple[Any, ...] = ()
        self.sql: str | None = ""
        self.params: Any = ()
        self.names: tuple[str, ...] = ()
        self.compiler: Any = None
        self.converters: dict[int, Any] = {}
        self.col_count = 0
        self.trim = False
        #: position of the lookup's parameter, and its value -> database value function
        self.index = -1
        self.prep: Callable[[Any], Any] | None = None


_UNSUPPORTED: Any = object()  # compiled differently than expected: Django's path


class _Unsupported(Exception):
    pass


def _fingerprint(q: Any) -> tuple[Any, ...]:
    """What chaining changes on a Query, to notice a clone edited in place (``qs.query.x = ``)."""
    return (
        len(q.where.children),
        q.order_by,
        q.low_mark,
        q.high_mark,
        q.distinct,
        q.distinct_fields,
        q.select_related,
        tuple(q.annotations),
        q.values_select,
        q.default_ordering,
        q.standard_ordering,
        tuple(q.extra),
        q.deferred_loading,
        q.select_for_update,
        q.combinator,
        q.group_by,
    )


#: QuerySet methods whose override (a custom QuerySet class) could change what evaluating
#: it returns: such classes take Django's path
_EVALUATION = (
    "_fetch_all", "__iter__", "iterator", "values", "_values", "_clone", "_chain", "_filter_or_exclude", "count",
)  # fmt: skip
_plain_classes: dict[type, bool] = {}


def _plain(cls: type) -> bool:
    known = _plain_classes.get(cls)
    if known is None:
        known = _plain_classes[cls] = all(getattr(cls, m) is getattr(QuerySet, m) for m in _EVALUATION)
    return known


def _lookup_of(result: QuerySet[Any]) -> tuple[str | None, Any] | None:
    """(the deferred lookup's name or None, its value) of a marked QuerySet; None when it
    is not eligible at all."""
    if (
        not _plain(type(result))
        or result._result_cache is not None
        or result._prefetch_related_lookups  # type: ignore[attr-defined]
        or result._iterable_class is not ModelIterable
    ):
        return None
    deferred = result._deferred_filter  # type: ignore[attr-defined]
    if deferred is None:
        return None, None
    negate, args, kwargs = deferred
    if negate or args or len(kwargs) != 1:
        return None
    ((name, value),) = kwargs.items()
    return name, value


def _entry(
    result: QuerySet[Any], origin: QuerySet[Any], kind: tuple[Any, ...], compile_on: Callable[[str], Any]
) -> tuple[Any, _Compiled] | None:
    """(connection, compiled statement) of ``kind`` for ``result`` on its database,
    compiled on first use there; None when unsupported or ``result`` was edited in place."""
    alias = result.db  # routers are asked per request, as Django does
    conn = connections[alias]
    cache: dict[tuple[Any, ...], Any] | None = conn.__dict__.get(_CACHE)
    if cache is None:
        cache = conn.__dict__[_CACHE] = {}
    key = (origin, *kind, timezone.get_current_timezone_name())
    compiled = cache.get(key)
    if compiled is None:
        compiled = cache[key] = compile_on(alias)
    if compiled is _UNSUPPORTED or _fingerprint(result._query) != compiled.fingerprint:  # type: ignore[attr-defined]
        return None
    return conn, compiled


def select(
    result: QuerySet[Any], origin: QuerySet[Any], fields: tuple[str, ...], window: tuple[int, int] | None = None
) -> list[dict[str, Any]] | None:
    """The rows of the marked ``result`` as ``.values(*fields)`` dicts from the compiled
    statement (``window``: rows ``[start:stop]``, a page), or None when it is not eligible
    (the caller takes Django's path). Runs on an ORM thread."""
    lookup = _lookup_of(result)
    if lookup is None or (window is not None and lookup[0] is not None):
        return None
    lookup_name, value = lookup
    entry = _entry(
        result,
        origin,
        (fields, lookup_name, window is not None),
        lambda alias: _compile(origin, alias, fields, lookup_name, window is not None),
    )
    if entry is None:
        return None
    conn, compiled = entry
    if compiled.sql is None:  # the query can have no rows (``filter(id__in=[])``)
        return []
    sql, params = compiled.sql, compiled.params
    if window is not None:
        start, stop = window
        if stop <= start:
            return []
        sql = f"{sql} {conn.ops.limit_offset_sql(start, stop)}"  # proven at compile time (_compile_window)
    if compiled.prep is not None:
        try:
            db_value = compiled.prep(value)
        except (ValueError, TypeError, ValidationError):  # not a value of the key: no such row
            return []
        params = list(params)
        params[compiled.index] = db_value
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        rows: Any = cursor.fetchall()
    if compiled.trim:
        rows = [row[: compiled.col_count] for row in rows]
    if compiled.converters:
        rows = compiled.compiler.apply_converters(rows, compiled.converters)
    names = compiled.names
    return [dict(zip(names, row)) for row in rows]


def count(result: QuerySet[Any], origin: QuerySet[Any]) -> int | None:
    """``result.count()`` of a marked QuerySet with the statement Django ran for it the first
    time on this connection; None when not eligible. Runs on an ORM thread."""
    lookup = _lookup_of(result)
    if lookup is None or lookup[0] is not None:
        return None
    entry = _entry(result, origin, ("count",), lambda alias: _compile_count(origin, alias))
    if entry is None:
        return None
    conn, compiled = entry
    if compiled.sql is None:
        return 0
    with conn.cursor() as cursor:
        cursor.execute(compiled.sql, compiled.params)
        row = cursor.fetchone()
    return int(row[0])


def _compile_count(origin: QuerySet[Any], alias: str) -> Any:
    """The statement ``origin.count()`` runs, captured as Django executes it (an execute
    wrapper: the same SQL and parameters, whatever the backend), once per connection."""
    out = _Compiled()
    out.fingerprint = _fingerprint(origin._query)  # type: ignore[attr-defined]
    captured: list[tuple[str, Any]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        captured.append((sql, params))
        return execute(sql, params, many, context)

    conn = connections[alias]
    with conn.execute_wrapper(capture):
        total = origin.using(alias).count()
    if not captured and total == 0:  # Django knew there is nothing to count (none())
        out.sql = None
        return out
    if len(captured) != 1 or not isinstance(total, int):
        return _UNSUPPORTED
    out.sql, out.params = captured[0]
    return out


def _key_field(model: Any, name: str) -> Field[Any, Any] | None:
    """The model field a ``retrieve`` lookup names, when it is a plain column."""
    try:
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    except Exception:
        return None
    if field is None or field.is_relation or not getattr(field, "concrete", False):
        return None
    return field  # type: ignore[no-any-return]


def _sentinels(field: Field[Any, Any]) -> tuple[Any, Any] | None:
    internal = field.get_internal_type()
    if internal.endswith("AutoField") or internal.endswith("IntegerField"):
        return _SENTINELS[int]
    if internal in ("CharField", "SlugField", "TextField", "EmailField"):
        return _SENTINELS[str]
    if internal == "UUIDField":
        return _SENTINELS[uuid.UUID]
    return None


def _compile(
    origin: QuerySet[Any], alias: str, fields: tuple[str, ...], lookup_name: str | None, windowed: bool
) -> Any:
    try:
        compiled = _compile_select(origin, alias, fields, lookup_name)
        if windowed and compiled is not _UNSUPPORTED:
            return _compile_window(origin, alias, fields, compiled)
        return compiled
    except _Unsupported:
        return _UNSUPPORTED


def _compile_window(origin: QuerySet[Any], alias: str, fields: tuple[str, ...], base: _Compiled) -> Any:
    """``base`` for pages: its SQL followed by the backend's ``limit_offset_sql(start,
    stop)``, which is what Django's compiler appends for a slice; proven here on two
    slices (else _UNSUPPORTED)."""
    if origin.query.is_sliced or base.sql is None:
        return _UNSUPPORTED if origin.query.is_sliced else base
    conn = connections[alias]
    sliceable = origin.using(alias).values(*fields)
    for start, stop in ((0, 7), (20, 45)):
        sliced = _compile_one(sliceable[start:stop])
        if sliced.sql != f"{base.sql} {conn.ops.limit_offset_sql(start, stop)}" or sliced.params != base.params:
            return _UNSUPPORTED
    return base


def _compile_select(origin: QuerySet[Any], alias: str, fields: tuple[str, ...], lookup_name: str | None) -> Any:
    """Compile ``origin.values(*fields)`` (filtered by the lookup) on this thread's
    connection of ``alias``; _UNSUPPORTED unless the lookup's parameter is found and
    reproduced exactly (see module doc)."""
    base = origin.using(alias).values(*fields)
    conn = connections[alias]
    fingerprint = _fingerprint(origin._query)  # type: ignore[attr-defined]
    if lookup_name is None:
        out = _compile_one(base)
        out.fingerprint = fingerprint
        return out
    field = _key_field(origin.model, lookup_name)
    sentinels = _sentinels(field) if field is not None else None
    if field is None or sentinels is None:
        return _UNSUPPORTED
    one = _compile_one(base.filter(**{lookup_name: sentinels[0]}))
    two = _compile_one(base.filter(**{lookup_name: sentinels[1]}))
    one.fingerprint = fingerprint
    if one.sql is None and two.sql is None:  # no rows whatever the value
        return one
    if one.sql is None or two.sql is None or one.sql != two.sql or len(one.params) != len(two.params):
        return _UNSUPPORTED
    differ = [i for i, (a, b) in enumerate(zip(one.params, two.params, strict=True)) if a != b]
    if len(differ) != 1:
        return _UNSUPPORTED

    key_field = field

    def prep(value: Any) -> Any:
        # Django's exact lookup: get_prep_value, then get_db_prep_value(prepared=True).
        return key_field.get_db_prep_value(key_field.get_prep_value(value), conn, prepared=True)

    index = differ[0]
    if prep(sentinels[0]) != one.params[index] or prep(sentinels[1]) != two.params[index]:
        return _UNSUPPORTED
    one.index, one.prep = index, prep
    return one


def _compile_one(queryset: QuerySet[Any]) -> _Compiled:
    out = _Compiled()
    query = queryset.query
    compiler = query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        sql = ""
    if not sql:
        out.sql = None
        return out
    out.sql = sql
    out.params = params
    selected = getattr(query, "selected", None)
    out.names = tuple(selected) if selected else (*query.extra_select, *query.values_select, *query.annotation_select)
    out.compiler = compiler
    out.col_count = compiler.col_count
    out.trim = bool(compiler.has_extra_select)
    columns = [s[0] for s in compiler.select[0 : compiler.col_count]]
    composite = getattr(compiler, "has_composite_fields", None)  # Django >= 5.2
    if composite is not None and composite(columns):
        raise _Unsupported  # a composite key read as a tuple: Django's path
    out.converters = compiler.get_converters(columns)
    return out
