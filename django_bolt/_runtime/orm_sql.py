"""The compiled SQL of the QuerySets the server evaluates, kept per query shape (never rows).

One mechanism for every QuerySet the server reads with ``.values(...)``: a QuerySet a
function handler returns, a ViewSet's ``list``/``retrieve`` (the class queryset, a filter
backend's or a ``get_queryset`` filter on it), and the count and rows of a page
(``_runtime/pages.py``). Django clones a query for ``.values()`` and compiles it to SQL on
every request, although every request of a route builds the same query and only the
parameter values differ. Speed: on the example's ``/users`` (10 rows, SQLite) the
evaluation took 206-224 µs with Django's path and 59-66 µs with a kept plan; a ViewSet list
205-221 → 43-58 µs, a retrieve 254-277 → 42-50 µs (bench/RESULTS.md, issues 19 and 20).

A *plan* is the SQL Django compiled for one shape, the row names, and the converters
Django chose; it is kept per ORM thread (the converters belong to that thread's
connection). Its parameters come from the request, in one of two ways:

- **The request's own WHERE clause**, compiled alone on every request (a few µs for a
  lookup or two): its SQL text is part of the key, its parameters are this request's. The
  rest of the key is every part of the ``Query`` the SQL depends on: model, database alias,
  ordering, slice, DISTINCT, the (single) table and its reference count, the requested
  columns. Every other attribute must hold the value a fresh ``Query`` of the model has
  (no joins, annotations, ``extra()``, combinations...; ``select_related`` and
  ``only()``/``defer()`` are allowed: ``.values()`` resets them), checked attribute by
  attribute, so an attribute this module does not know (a future Django's) means Django's
  path. A changed value never reuses another request's parameters; a filter whose SQL
  changes with its value (``IS NULL``, an ``IN`` list of another length) is another key.
- **A ViewSet's class queryset, unchanged** (``mark``: the clone ``get_queryset()`` made,
  nothing chained on it), optionally with ``retrieve``'s one exact lookup on a plain
  int/str/UUID column deferred (Django's ``_defer_next_filter``: touching ``.query`` applies
  it the normal way). Its WHERE never changes, so its parameters are compiled once (per
  connection and current time zone) into a *template*; the lookup's slot in them is found by
  compiling with two different values, and filled per request with the value prepared as
  Django's ``exact`` lookup does. A clone edited in place (``qs.query.x = ...``) is noticed
  (``_fingerprint``) and takes the first way. The class queryset may join or annotate: it
  is one fixed query, so its identity is its key.

The rules, the same for both:

- A plan is kept only when the full statement's parameters are exactly its WHERE clause's
  (nothing else in it carries a value), compiled by Django itself on the first request of
  its key, which then runs the plan (or, for a count, returns Django's own count).
- Pages: the rows statement followed by the backend's own ``limit_offset_sql`` — checked at
  compile time, on two slices, to be exactly what Django's compiler appends. Counts: the
  statement Django executed for ``count()``, captured with an execute wrapper.
- Rows go through Django's cursor (its error types, execute wrappers and ``DEBUG`` query
  log) and Django's converters, and get the names ``ValuesIterable`` gives them. Rows are
  never cached; every request runs its query.
- Anything not proven above — a custom QuerySet class that overrides how it evaluates,
  prefetches, an evaluated cache, composite keys, a statement whose parameters are not the
  WHERE's — is evaluated by Django exactly as before.

Nothing is ever invalidated: a plan depends only on the model and the query's shape, which do
not change while the process runs. At most ``MAX_PLANS`` plans (and as many templates) are
kept; past that each cache starts over.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet, ValidationError
from django.db import connections
from django.db.models import Field, Model, QuerySet
from django.db.models.query import ModelIterable
from django.db.models.sql.datastructures import BaseTable
from django.db.models.sql.query import Query
from django.utils import timezone

__all__ = ["ORIGIN", "count_rows", "defer_lookup", "mark", "values_rows"]

#: Plans (and templates) kept at most; past that the cache starts over (a route filtering
#: with ``IN`` lists of ever new lengths must not grow it without bound).
MAX_PLANS = 2048
#: the attribute a marked QuerySet carries: the class-level QuerySet it was cloned from
ORIGIN = "_bolt_origin"

#: Query attributes that are part of the key as they are.
_KEYED = ("order_by", "low_mark", "high_mark", "default_ordering", "standard_ordering", "distinct", "distinct_fields")
#: Query attributes handled apart: the model and the table (checked, keyed), the WHERE clause
#: (compiled per request), state the compiler never reads (``used_aliases`` steers join reuse
#: while more filters are added, ``_lookup_joins`` is the last filter's joins for
#: ``split_exclude``, ``base_table`` is a cached read of ``alias_map``), and what ``.values()``
#: resets before compiling (``Query.set_values``: ``select_related``, ``deferred_loading``).
_APART = frozenset((
    "model", "where", "alias_map", "alias_refcount", "table_map", "used_aliases", "_lookup_joins", "base_table",
    "select_related", "deferred_loading",
))  # fmt: skip
_SKIP = _APART | frozenset(_KEYED)
_MISSING: Any = object()

#: what a request gets when its WHERE clause can match nothing (Django runs no query)
_EMPTY: Any = object()

#: QuerySet methods whose override (a custom QuerySet class) could change what evaluating it
#: returns: such classes take Django's path
_EVALUATION = (
    "_fetch_all", "__iter__", "iterator", "values", "_values", "_clone", "_chain", "_filter_or_exclude", "count",
)  # fmt: skip

#: two values of each supported key type, to find a lookup's parameter in the template
_SENTINELS: dict[str, tuple[Any, Any]] = {
    "int": (1, 2),
    "str": ("a", "b"),
    "uuid": (uuid.UUID(int=1), uuid.UUID(int=2)),
}

Window = tuple[int, int]


class Plan:
    """The compiled statement of one shape: its SQL, the row names and converters (none for
    a count)."""

    __slots__ = ("alias", "converters", "names", "sql")

    def __init__(self, alias: str, sql: str, names: tuple[str, ...], converters: list[tuple[int, Any, Any]]) -> None:
        self.alias = alias
        self.sql = sql
        self.names = names
        self.converters = converters  # (column, [converter, ...], expression)


class Template:
    """A class queryset's plan with its WHERE parameters, compiled once; ``index``/``prep``:
    the slot of retrieve's lookup value and how to prepare it (-1/None: no lookup)."""

    __slots__ = ("fingerprint", "index", "params", "plan", "prep")

    def __init__(self, fingerprint: tuple[Any, ...], plan: Plan | None, params: tuple[Any, ...]) -> None:
        self.fingerprint = fingerprint
        self.plan = plan  # None: the query matches nothing
        self.params = params
        self.index = -1
        self.prep: Callable[[Any], Any] | None = None


_plans: dict[tuple[Any, ...], Plan | None] = {}
_templates: dict[tuple[Any, ...], Template | None] = {}


# ---- entry points (on an ORM thread) --------------------------------------------------------


def values_rows(
    qs: QuerySet[Any], fields: tuple[str, ...] | None, window: Window | None = None
) -> list[dict[str, Any]]:
    """``list(qs.values(*fields))`` (``qs.values()`` without fields; rows ``[start:stop]``
    with a window), through a kept plan when the query allows it (see module doc)."""
    kind = "rows" if window is None else "page"
    if window is not None and window[1] <= window[0]:
        return []
    found = _statement(qs, fields, kind)
    if found is None:
        rows = qs.values(*fields) if fields else qs.values()
        return list(rows if window is None else rows[window[0] : window[1]])
    if found is _EMPTY:
        return []
    plan, params = found
    return _run(plan, params, window)


def count_rows(qs: QuerySet[Any]) -> int:
    """``qs.count()``, through the statement Django ran for the first count of its shape."""
    found = _statement(qs, None, "count")
    if found is None:
        return qs.count()
    if found is _EMPTY:
        return 0
    plan, params = found
    if isinstance(plan, int):  # the first count of its key: Django's own answer
        return plan
    with connections[plan.alias].cursor() as cursor:
        cursor.execute(plan.sql, params)
        row = cursor.fetchone()
    return int(row[0])


def mark(queryset: QuerySet[Any], origin: QuerySet[Any]) -> QuerySet[Any]:
    """Tag a fresh clone of the class queryset ``origin`` as such (see module doc); ``origin``
    must be a QuerySet (a Manager there, or a clone of another class: untagged)."""
    if isinstance(origin, QuerySet) and isinstance(queryset, QuerySet) and queryset.model is origin.model:
        queryset.__dict__[ORIGIN] = origin
    return queryset


def defer_lookup(queryset: QuerySet[Any], lookup: dict[str, Any]) -> QuerySet[Any]:
    """``queryset.filter(**lookup)`` with the filter deferred (Django applies it when the
    query is first used) and the mark kept: a template fills the lookup's value instead."""
    queryset._defer_next_filter = True  # type: ignore[attr-defined]
    found = queryset.filter(**lookup)
    origin = queryset.__dict__.get(ORIGIN)
    if origin is not None:
        found.__dict__[ORIGIN] = origin
    return found


# ---- finding the plan of a request ----------------------------------------------------------


def _statement(qs: QuerySet[Any], fields: tuple[str, ...] | None, kind: str) -> Any:
    """(plan, parameters) for this request; ``_EMPTY`` when it matches nothing; None: Django's
    path. A count whose plan was compiled now (by running Django's count): (that count, None)."""
    if not _eligible(qs):
        return None
    origin = qs.__dict__.get(ORIGIN)
    if origin is not None:
        found = _from_template(qs, origin, fields, kind)
        if found is not None:
            return found
    return _from_where(qs, fields, kind)


_plain_classes: dict[type, bool] = {}


def _eligible(qs: QuerySet[Any]) -> bool:
    state: Any = qs  # QuerySet's private state, which the stubs leave out
    cls = type(qs)
    plain = _plain_classes.get(cls)
    if plain is None:
        plain = _plain_classes[cls] = all(getattr(cls, m) is getattr(QuerySet, m) for m in _EVALUATION)
    return (
        plain
        and state._result_cache is None
        and state._iterable_class is ModelIterable
        and not state._prefetch_related_lookups
        and not state._known_related_objects
        and state._fields is None
    )


def _from_where(qs: QuerySet[Any], fields: tuple[str, ...] | None, kind: str) -> Any:
    """The plan keyed by the query's shape and its WHERE clause, compiled for this request."""
    alias = qs.db  # routers are asked per request, as Django does
    query = qs.query
    key = _shape(query, alias, fields, kind)
    if key is None:
        return None
    where = _where(query, alias)
    if where is None:
        return _EMPTY
    # Per ORM thread as well: a plan's converters are bound to the operations of the
    # connection that compiled it, and each thread has its own (a compile per thread and
    # shape, once).
    key = (*key, where[0], threading.get_ident())
    plan = _plans.get(key, _MISSING)
    if plan is _MISSING:
        if kind == "count":
            plan, total = _compile_count(qs, alias, where)
            _keep(_plans, key, plan)
            return total, None
        plan = _compile(qs, fields, alias, where, kind == "page")
        _keep(_plans, key, plan)
    if plan is None:
        return None
    return plan, where[1]


def _keep(cache: dict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> None:
    if len(cache) >= MAX_PLANS:
        cache.clear()
    cache[key] = value


@functools.cache
def _defaults(model: type[Model]) -> dict[str, Any]:
    """What a fresh Query of ``model`` holds in its instance dict."""
    return dict(Query(model).__dict__)


def _shape(query: Query, alias: str, fields: tuple[str, ...] | None, kind: str) -> tuple[Any, ...] | None:
    """The key of ``query`` without its WHERE part, or None when Django must evaluate it."""
    if type(query) is not Query or query.model is None:
        return None
    model = query.model
    defaults = _defaults(model)
    for name, value in query.__dict__.items():
        if name in _SKIP:
            continue
        default = defaults.get(name, _MISSING)
        if default is _MISSING:
            default = getattr(Query, name, _MISSING)
            if default is _MISSING:
                return None  # an attribute this module does not know: Django evaluates
        if value is not default and value != default:
            return None
    alias_map = query.alias_map
    if alias_map:
        if len(alias_map) != 1:
            return None  # joins
        ((table_alias, table),) = alias_map.items()
        if type(table) is not BaseTable or table.table_name != model._meta.db_table or table.table_alias != table_alias:
            return None
        if query.table_map != {table.table_name: [table_alias]}:
            return None
    elif query.table_map:
        return None
    # Strings only (an expression may carry parameters of its own), in tuples: the key
    # holds them and must hash.
    for names in (query.order_by, query.distinct_fields):
        if type(names) is not tuple or any(type(item) is not str for item in names):
            return None
    where = query.where
    if where.children and (where.contains_aggregate or where.contains_over_clause):
        return None  # parts of it would go to HAVING / QUALIFY
    return (
        model,
        alias,
        fields,
        kind,
        tuple(alias_map),
        tuple(query.alias_refcount.items()),
        *(getattr(query, name) for name in _KEYED),
    )


def _where(query: Query, alias: str) -> tuple[str, tuple[Any, ...]] | None:
    """This request's WHERE clause: SQL and parameters; None when it matches nothing."""
    where = query.where
    if not where.children:
        return "", ()
    try:
        sql, params = query.get_compiler(alias).compile(where)
    except EmptyResultSet:
        return None  # Django answers [] without a query
    except FullResultSet:
        return "", ()
    return sql, tuple(params)


# ---- the class queryset's templates ---------------------------------------------------------


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


def _from_template(qs: QuerySet[Any], origin: QuerySet[Any], fields: tuple[str, ...] | None, kind: str) -> Any:
    """(plan, parameters) of a marked QuerySet from its class queryset's template; None when
    it cannot use one (the caller compiles its WHERE instead)."""
    state: Any = qs
    deferred = state._deferred_filter
    lookup_name: str | None = None
    value: Any = None
    if deferred is not None:
        negate, args, kwargs = deferred
        if negate or args or len(kwargs) != 1 or kind != "rows":
            return None
        ((lookup_name, value),) = kwargs.items()
    alias = qs.db
    key = (origin, fields, lookup_name, kind, alias, timezone.get_current_timezone_name(), threading.get_ident())
    template = _templates.get(key, _MISSING)
    if template is _MISSING:
        template = _template(origin, alias, fields, lookup_name, kind)
        _keep(_templates, key, template)
    if template is None or _fingerprint(state._query) != template.fingerprint:
        return None
    if template.plan is None:
        return _EMPTY
    params = template.params
    if template.prep is not None:
        try:
            db_value = template.prep(value)
        except (ValueError, TypeError, ValidationError):  # not a value of the key: no such row
            return _EMPTY
        listed = list(params)
        listed[template.index] = db_value
        return template.plan, listed
    return template.plan, params


def _template(
    origin: QuerySet[Any], alias: str, fields: tuple[str, ...] | None, lookup_name: str | None, kind: str
) -> Template | None:
    """Compile the class queryset (with the lookup) once on this thread's connection; None
    unless its parameters are its WHERE's and the lookup's slot is found and reproduced."""
    state: Any = origin
    if state._query.select_for_update:
        return None  # Django refuses it outside a transaction, at compile time: let it
    fingerprint = _fingerprint(state._query)
    base = origin.using(alias)
    if lookup_name is None:
        compiled = _compile_fixed(base, fields, alias, kind)
        if compiled is None:
            return None
        return Template(fingerprint, *compiled)
    field = _key_field(origin.model, lookup_name)
    sentinels = _sentinels(field) if field is not None else None
    if field is None or sentinels is None:
        return None
    one = _compile_fixed(base.filter(**{lookup_name: sentinels[0]}), fields, alias, kind)
    two = _compile_fixed(base.filter(**{lookup_name: sentinels[1]}), fields, alias, kind)
    if one is None or two is None:
        return None
    (plan, params), (plan_two, params_two) = one, two
    if plan is None and plan_two is None:  # no rows whatever the value
        return Template(fingerprint, None, ())
    if plan is None or plan_two is None or plan.sql != plan_two.sql or len(params) != len(params_two):
        return None
    differ = [i for i, (a, b) in enumerate(zip(params, params_two, strict=True)) if a != b]
    if len(differ) != 1:
        return None
    conn = connections[alias]
    key_field = field

    def prep(value: Any) -> Any:
        # Django's exact lookup: get_prep_value, then get_db_prep_value(prepared=True).
        return key_field.get_db_prep_value(key_field.get_prep_value(value), conn, prepared=True)

    index = differ[0]
    if prep(sentinels[0]) != params[index] or prep(sentinels[1]) != params_two[index]:
        return None
    template = Template(fingerprint, plan, params)
    template.index, template.prep = index, prep
    return template


def _compile_fixed(
    qs: QuerySet[Any], fields: tuple[str, ...] | None, alias: str, kind: str
) -> tuple[Plan | None, tuple[Any, ...]] | None:
    """(plan, its parameters) of a fixed query; (None, ()) when it matches nothing."""
    where = _where(qs.query, alias)
    if where is None:
        return None, ()
    if kind == "count":
        plan, _total = _compile_count(qs, alias, where)
    else:
        plan = _compile(qs, fields, alias, where, kind == "page")
    return None if plan is None else (plan, where[1])


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
        return _SENTINELS["int"]
    if internal in ("CharField", "SlugField", "TextField", "EmailField"):
        return _SENTINELS["str"]
    if internal == "UUIDField":
        return _SENTINELS["uuid"]
    return None


# ---- compiling (Django's compiler, once per key) and running ---------------------------------


def _same_params(params: Any, where_params: tuple[Any, ...]) -> bool:
    try:
        return len(params) == len(where_params) and tuple(params) == where_params
    except Exception:  # a parameter type whose == is not a plain bool
        return False


def _compile(
    qs: QuerySet[Any], fields: tuple[str, ...] | None, alias: str, where: tuple[str, tuple[Any, ...]], paged: bool
) -> Plan | None:
    """Compile ``qs.values(*fields)`` as Django does; a Plan if its parameters are the WHERE's
    (and, ``paged``, if a slice of it is the SQL followed by ``limit_offset_sql``)."""
    values = qs.values(*fields) if fields else qs.values()
    query = values.query
    compiler = query.get_compiler(alias)
    try:
        sql, params = compiler.as_sql()
    except (EmptyResultSet, FullResultSet):
        return None
    where_sql, where_params = where
    if not sql or where_sql not in sql or not _same_params(params, where_params):
        return None  # something besides the WHERE clause carries a value
    columns = [s[0] for s in compiler.select[0 : compiler.col_count]]
    composite = getattr(compiler, "has_composite_fields", None)  # Django >= 5.2
    if compiler.has_extra_select or (composite is not None and composite(columns)):
        return None
    if paged:
        if query.is_sliced:
            return None  # a slice of a slice: Django composes them
        ops = connections[alias].ops
        for start, stop in ((0, 7), (20, 45)):
            sliced_sql, sliced_params = values[start:stop].query.get_compiler(alias).as_sql()
            if sliced_sql != f"{sql} {ops.limit_offset_sql(start, stop)}" or not _same_params(sliced_params, params):
                return None
    selected = getattr(query, "selected", None)  # Django >= 5.2
    names = tuple(selected) if selected else (*query.extra_select, *query.values_select, *query.annotation_select)
    converters = [(pos, convs, expr) for pos, (convs, expr) in compiler.get_converters(columns).items()]
    return Plan(alias, sql, names, converters)


def _compile_count(qs: QuerySet[Any], alias: str, where: tuple[str, tuple[Any, ...]]) -> tuple[Plan | None, int]:
    """The statement ``qs.count()`` runs, captured as Django executes it (an execute wrapper:
    the same SQL and parameters, whatever the backend), and Django's count."""
    captured: list[tuple[str, Any]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connections[alias].execute_wrapper(capture):
        total = qs.count()
    if len(captured) != 1 or not isinstance(total, int):
        return None, total
    sql, params = captured[0]
    if where[0] not in sql or not _same_params(params, where[1]):
        return None, total
    return Plan(alias, sql, (), []), total


def _run(plan: Plan, params: Any, window: Window | None) -> list[dict[str, Any]]:
    connection = connections[plan.alias]
    sql = plan.sql
    if window is not None:
        sql = f"{sql} {connection.ops.limit_offset_sql(*window)}"  # proven at compile time (_compile)
    # Django's cursor: errors become django.db errors, execute wrappers and the DEBUG query
    # log apply, as in SQLCompiler.execute_sql.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    names = plan.names
    if plan.converters:
        out = []
        for row in rows:
            values = list(row)
            for pos, convs, expr in plan.converters:
                value = values[pos]
                for convert in convs:
                    value = convert(value, expr, connection)
                values[pos] = value
            out.append(dict(zip(names, values)))
        return out
    return [dict(zip(names, row)) for row in rows]
