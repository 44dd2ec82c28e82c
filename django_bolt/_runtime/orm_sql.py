"""The compiled SQL of returned QuerySets, kept per query shape (never their rows).

A handler that returns ``Member.objects.filter(active=True).order_by("id")[:10]`` has it
evaluated on an ORM thread as ``list(qs.values(*fields))`` (``orm._evaluate``). For that,
Django clones the query for ``.values()`` and compiles it to SQL on every request, although
every request of the route builds the same query and only the parameter values differ.
Speed: on the example's ``/users`` (10 rows, SQLite) the evaluation took 206-224 µs with
Django's path and 59-66 µs with a kept plan, building the QuerySet included; server CPU per
request 328 -> 119 µs, PostgreSQL ~490 -> ~215 µs (bench/RESULTS.md, issue 20).

``values_rows`` does the same evaluation with the SQL compiled once per *shape*:

- The shape key is every part of the ``Query`` that the SQL depends on, except the WHERE
  clause: the model, the database alias, the ordering, the slice, DISTINCT, the (single)
  table and its reference count, and the requested columns. Every other attribute of the
  query must still hold the value a fresh ``Query`` of the model has (no joins, annotations,
  ``extra()``, ``select_related``, values, ``select_for_update``, combinations ...);
  anything else, including attributes a future Django adds, is evaluated by Django as
  before. So the key is complete by construction: what it does not name is known to be at
  its default.
- The WHERE clause is compiled on every request, alone (a few µs for a lookup or two): its
  SQL text joins the key and its parameters are this request's parameters. A changed value
  therefore never reuses another request's parameters, and a changed *shape* of the filter
  (``IS NULL``, an ``IN`` list of another length) is another key.
- On a miss, Django builds and compiles ``qs.values(*fields)`` as it always does; the plan
  is kept only when the full query's parameters are exactly the WHERE clause's (nothing else
  in it carries a value), and then used at once, so the first request runs the same code
  as the rest.
- Rows are fetched through Django's cursor (its error translation, execute wrappers and
  ``DEBUG`` query log), converted with the converters Django chose, and given the names
  ``ValuesIterable`` gives them.

Nothing is ever invalidated: a plan depends only on the model and the query's shape, which
do not change while the process runs. Results are never cached.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable
from django.db.models.sql.datastructures import BaseTable
from django.db.models.sql.query import Query

__all__ = ["values_rows"]

#: Plans kept at most; past that the cache starts over (a route filtering with ``IN`` lists
#: of ever new lengths must not grow it without bound).
MAX_PLANS = 2048

#: Query attributes that are part of the key as they are.
_KEYED = ("order_by", "low_mark", "high_mark", "default_ordering", "standard_ordering", "distinct", "distinct_fields")
#: Query attributes handled apart: the model and the table (checked, keyed), the WHERE clause
#: (compiled per request), and state the compiler never reads: ``used_aliases`` steers join
#: reuse while more filters are added, ``_lookup_joins`` is the last filter's joins for
#: ``split_exclude`` (filter building), ``base_table`` is a cached read of ``alias_map``.
_APART = frozenset(
    ("model", "where", "alias_map", "alias_refcount", "table_map", "used_aliases", "_lookup_joins", "base_table")
)
_SKIP = _APART | frozenset(_KEYED)
_NO_DEFAULT: Any = object()


class Plan:
    """The compiled SELECT of one query shape: its SQL, the row names and converters."""

    __slots__ = ("alias", "converters", "names", "sql")

    def __init__(self, alias: str, sql: str, names: tuple[str, ...], converters: list[tuple[int, Any, Any]]) -> None:
        self.alias = alias
        self.sql = sql
        self.names = names
        self.converters = converters  # (column, [converter, ...], expression)


_plans: dict[tuple[Any, ...], Plan | None] = {}


@functools.cache
def _defaults(model: type[Model]) -> dict[str, Any]:
    """What a fresh Query of ``model`` holds in its instance dict."""
    return dict(Query(model).__dict__)


def _shape(qs: QuerySet[Any], fields: tuple[str, ...] | None) -> tuple[Query, tuple[Any, ...]] | None:
    """The query and its key without the WHERE part, or None when Django must evaluate it."""
    state: Any = qs  # QuerySet's private state, which the stubs leave out
    if (
        state._result_cache is not None
        or state._iterable_class is not ModelIterable
        or state._prefetch_related_lookups
        or state._known_related_objects
        or state._fields is not None
    ):
        return None
    query = qs.query
    if type(query) is not Query or query.model is None:
        return None
    model = query.model
    defaults = _defaults(model)
    for name, value in query.__dict__.items():
        if name in _SKIP:
            continue
        default = defaults.get(name, _NO_DEFAULT)
        if default is _NO_DEFAULT:
            default = getattr(Query, name, _NO_DEFAULT)
            if default is _NO_DEFAULT:
                return None  # an attribute this module does not know: Django evaluates
        if value is not default and value != default:
            return None
    alias_map = query.alias_map
    if alias_map:
        if len(alias_map) != 1:
            return None  # joins
        ((alias, table),) = alias_map.items()
        if type(table) is not BaseTable or table.table_name != model._meta.db_table or table.table_alias != alias:
            return None
        if query.table_map != {table.table_name: [alias]}:
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
    key = (
        model,
        qs.db,
        fields,
        tuple(alias_map),
        tuple(query.alias_refcount.items()),
        *(getattr(query, name) for name in _KEYED),
    )
    return query, key


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


def _plan(
    qs: QuerySet[Any], fields: tuple[str, ...] | None, alias: str, where: tuple[str, tuple[Any, ...]]
) -> Plan | None:
    """Compile ``qs.values(*fields)`` as Django does; a Plan if its parameters are the WHERE's."""
    values = qs.values(*fields) if fields else qs.values()
    query = values.query
    compiler = query.get_compiler(alias)
    try:
        sql, params = compiler.as_sql()
    except (EmptyResultSet, FullResultSet):
        return None
    where_sql, where_params = where
    if not sql or len(params) != len(where_params) or where_sql not in sql:
        return None  # something besides the WHERE clause carries a value
    try:
        same = tuple(params) == where_params
    except Exception:  # a parameter type whose == is not a plain bool
        same = False
    if not same:
        return None
    columns = [s[0] for s in compiler.select[0 : compiler.col_count]]
    if compiler.has_extra_select or compiler.has_composite_fields(columns):
        return None
    names = (
        tuple(query.selected)
        if query.selected
        else (*query.extra_select, *query.values_select, *query.annotation_select)
    )
    converters = [(pos, convs, expr) for pos, (convs, expr) in compiler.get_converters(columns).items()]
    return Plan(alias, sql, names, converters)


def values_rows(qs: QuerySet[Any], fields: tuple[str, ...] | None) -> list[dict[str, Any]]:
    """``list(qs.values(*fields))`` (``qs.values()`` without fields), its SQL compiled once per shape."""
    shaped = _shape(qs, fields)
    if shaped is None:
        return _django(qs, fields)
    query, key = shaped
    alias = key[1]
    where = _where(query, alias)
    if where is None:
        return []
    # Per ORM thread as well: a plan's converters are bound to the operations of the
    # connection that compiled it, and each thread has its own (a compile per thread and
    # shape, once).
    key = (*key, where[0], threading.get_ident())
    plan = _plans.get(key, _NO_DEFAULT)
    if plan is _NO_DEFAULT:
        plan = _plan(qs, fields, alias, where)
        if len(_plans) >= MAX_PLANS:
            _plans.clear()
        _plans[key] = plan
    if plan is None:
        return _django(qs, fields)
    return _run(plan, where[1])


def _django(qs: QuerySet[Any], fields: tuple[str, ...] | None) -> list[dict[str, Any]]:
    return list(qs.values(*fields) if fields else qs.values())


def _run(plan: Plan, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    connection = connections[plan.alias]
    # Django's cursor: errors become django.db errors, execute wrappers and the DEBUG query
    # log apply, as in SQLCompiler.execute_sql.
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
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
