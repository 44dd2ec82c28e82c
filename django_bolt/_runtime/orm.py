"""Django's ORM under the event loop: a bounded thread pool for ORM calls, QuerySet and model
returns, and a useful message for ``SynchronousOnlyOperation``.

Django's ``aget``/``acount``/``async for``/``asave``... are ``sync_to_async(thread_sensitive=True)``
calls. Outside a request context asgiref runs every thread-sensitive call on ONE process-wide
thread, so concurrent requests would queue behind each other's queries. ``orm_pool`` enters an
asgiref ``ThreadSensitiveContext`` whose executor is ``OrmExecutor``: N threads (the database's
pool size), each with its own Django connection (Django's connections are thread-local), and
after every call the connection is released the way Django does it after a request
(``close_if_unusable_or_obsolete``: returned to the psycopg pool, or kept when persistent and
healthy). See docs/database.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import typing
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar, copy_context
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable

from .._routing.models import response_model_from
from .._routing.plans import list_item
from ..db import default_orm_threads

if TYPE_CHECKING:
    from .._routing.route import Route
    from .encoding import Encoded

logger = logging.getLogger("django_bolt")

#: A handler returning one of these has it evaluated in the ORM pool, not on the loop thread.
ORM_TYPES = (QuerySet, Model)

_T = TypeVar("_T")


def release_connections() -> None:
    """What Django does at the end of a request, for this thread's connections."""
    for conn in connections.all(initialized_only=True):
        # Inside atomic() the caller still owns the transaction; never close under it.
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def _run_released(fn: Callable[..., _T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> _T:
    try:
        return fn(*args, **kwargs)
    finally:
        release_connections()


class OrmExecutor(ThreadPoolExecutor):
    """A thread pool whose every call ends by releasing the thread's DB connections.

    A call cancelled by a client disconnect still runs to its end in its thread (a query
    cannot be interrupted from Python), and still releases: no connection leaks.
    """

    def __init__(self, threads: int) -> None:
        super().__init__(max_workers=threads, thread_name_prefix="bolt-orm")
        self.threads = threads

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        return super().submit(_run_released, fn, args, kwargs)


def orm_threads(configured: int | None) -> int:
    """``ORM_THREADS`` if set, else the default database's pool size (4 without a pool)."""
    pool = (settings.DATABASES.get("default", {}).get("OPTIONS") or {}).get("pool")
    sized = default_orm_threads(settings.DATABASES)
    if configured is None:
        return sized
    if pool and configured > sized:
        logger.warning(
            "ORM_THREADS=%d is more than the database pool's %d connections: the extra threads "
            "wait for a connection (and fail after the pool timeout)",
            configured,
            sized,
        )
    return configured


@asynccontextmanager
async def orm_pool(threads: int) -> AsyncIterator[OrmExecutor]:
    """Send Django's thread-sensitive calls (the async ORM) made in this context, and in every
    task created from it, to a pool of ``threads`` threads; close the pools on exit."""
    executor = OrmExecutor(threads)
    token = _current_pool.set(executor)
    try:
        async with ThreadSensitiveContext(executor=executor):
            yield executor
    finally:
        _current_pool.reset(token)
        await asyncio.to_thread(_shutdown, executor)


_current_pool: ContextVar[OrmExecutor | None] = ContextVar("bolt_orm_pool", default=None)


def current_pool() -> OrmExecutor | None:
    """The ORM pool of ``orm_pool`` (None outside one: the in-process test clients)."""
    return _current_pool.get()


def _shutdown(executor: OrmExecutor) -> None:
    executor.shutdown(wait=True)
    for conn in connections.all():
        # PostgreSQL's pools are shared by all threads (a class attribute keyed by alias);
        # reading `conn.pool` would create one for an alias that never connected.
        pools = getattr(conn, "_connection_pools", None)
        if pools and conn.alias in pools:
            conn.close_pool()  # type: ignore[attr-defined]  # PostgreSQL only


# ---- QuerySet and model instance returns ---------------------------------------------------

#: What evaluating a returned QuerySet gives the loop: the encoded response, or the exception.
Outcome: TypeAlias = "Encoded | BaseException"
#: A runner answers at most this many returns before it yields its thread to other ORM calls.
_RUNNER_JOBS = 16


class OrmJob:
    """A returned QuerySet / instance waiting for an ORM thread; ``cancel`` drops it."""

    __slots__ = ("cancelled", "ctx", "result", "rid", "route")

    def __init__(self, rid: int, route: Route, result: Any) -> None:
        self.rid = rid
        self.route = route
        self.result = result
        # The evaluation sees the context variables the loop has here, as with sync_to_async.
        self.ctx = copy_context()
        self.cancelled = False

    def cancel(self) -> bool:
        self.cancelled = True
        return True


class OrmReturns:
    """Evaluates and encodes the QuerySets and model instances that handlers return, on the
    ORM pool's threads, and hands the answers back to the event loop in batches.

    Speed: one job per request on a queue that up to ``threads`` runners empty, and one
    wake-up of the loop per batch of answers (``done`` calls back with all of them), instead
    of asgiref's ``sync_to_async`` per request (a Task, two chained futures and a loop
    wake-up each). py-spy on /users (SQLite): asgiref's plumbing was ~40% of the loop
    thread's time; see bench/RESULTS.md (issue 5) for the before/after. An answer wakes the
    loop only when no wake-up is pending already: answers that arrive before the loop runs
    go with it. (Holding answers back until the queue is empty measured the same, and would
    make a fast answer wait for a slow query queued behind it.)
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        encode: Callable[[Any, Route], Encoded],
        done: Callable[[list[tuple[int, Route, Outcome]]], None],
    ) -> None:
        self.loop = loop
        self.encode = encode
        self.done = done
        self._lock = threading.Lock()
        self._jobs: deque[OrmJob] = deque()
        self._answers: list[tuple[int, Route, Outcome]] = []
        self._runners = 0

    def submit(self, executor: OrmExecutor, rid: int, route: Route, result: Any) -> OrmJob:
        """Queue one returned QuerySet / instance (on the loop thread)."""
        job = OrmJob(rid, route, result)
        with self._lock:
            self._jobs.append(job)
            start = self._runners < executor.threads
            if start:
                self._runners += 1
        if start:
            executor.submit(self._run, executor)
        return job

    def _run(self, executor: OrmExecutor) -> None:
        for _ in range(_RUNNER_JOBS):
            with self._lock:
                if not self._jobs:
                    self._runners -= 1
                    return
                job = self._jobs.popleft()
            if job.cancelled:  # Go gave up on the request (timeout, disconnect) and answered
                continue
            outcome: Outcome
            try:
                outcome = job.ctx.run(_evaluate_and_encode, job.result, job.route, self.encode)
            except BaseException as exc:  # answered as a 500; the runner must outlive any error
                outcome = exc
            with self._lock:
                self._answers.append((job.rid, job.route, outcome))
                wake = len(self._answers) == 1  # else a wake-up is pending: _deliver empties the list
            if wake:
                # A closed loop (shutdown): Go has already answered these requests.
                with contextlib.suppress(RuntimeError):
                    self.loop.call_soon_threadsafe(self._deliver)
        # Back of the pool's queue: async ORM calls of other handlers get a thread in turn.
        try:
            executor.submit(self._run, executor)
        except RuntimeError:  # the pool is shutting down
            with self._lock:
                self._runners -= 1

    def _deliver(self) -> None:
        with self._lock:
            answers, self._answers = self._answers, []
        self.done(answers)


async def encode_orm(result: Any, route: Route, encode: Callable[[Any, Route], Encoded]) -> Encoded:
    """Evaluate a returned QuerySet / model instance in the ORM pool and encode it there
    (a response model may read attributes that are still lazy)."""
    return await sync_to_async(_evaluate_and_encode)(result, route, encode)


def _evaluate_and_encode(result: Any, route: Route, encode: Callable[[Any, Route], Encoded]) -> Encoded:
    return encode(_evaluate(result, route), route)


def _evaluate(result: Any, route: Route) -> Any:
    if isinstance(result, QuerySet):
        if result._iterable_class is not ModelIterable:  # .values() / .values_list() already
            return list(result)
        if route.outputs:
            fields = _projection(route, result)
            # Without a projection the response model reads the instances' attributes.
            return list(result.values(*fields)) if fields else list(result)
        return list(result.values())
    if route.outputs:
        return result
    return {f.attname: getattr(result, f.attname) for f in result._meta.concrete_fields}


_projections: dict[tuple[int, type[Model], frozenset[str]], tuple[str, ...] | None] = {}


def _projection(route: Route, qs: QuerySet[Any]) -> tuple[str, ...] | None:
    """The response model's field names when ``.values(*names)`` can fetch all of them."""
    annotations = frozenset(qs.query.annotations)
    key = (id(route), qs.model, annotations)
    if key not in _projections:
        _projections[key] = _compute_projection(route, qs.model, annotations)
    return _projections[key]


def _compute_projection(route: Route, model: type[Model], annotations: frozenset[str]) -> tuple[str, ...] | None:
    response_model = response_model_from(route.handler, route.extra.get("response_model"))
    if isinstance(response_model, dict):
        response_model = response_model.get(route.status_code)
    names = _model_field_names(response_model)
    if not names:
        return None
    fetchable = {"pk"} | annotations
    for f in model._meta.concrete_fields:
        fetchable.add(f.attname)
        if not f.is_relation:  # "author" would be the related pk, not the nested object
            fetchable.add(f.name)
    return names if set(names) <= fetchable else None


def _model_field_names(tp: Any) -> tuple[str, ...] | None:
    """Field names of a Struct / pydantic model / dataclass / TypedDict (or a list of one),
    when they are also the names the data carries (no renames or aliases)."""
    tp = list_item(tp) or tp
    struct_fields = getattr(tp, "__struct_fields__", None)
    if struct_fields is not None:
        same = getattr(tp, "__struct_encode_fields__", struct_fields) == struct_fields
        return tuple(struct_fields) if same else None
    model_fields = getattr(tp, "model_fields", None)
    if isinstance(model_fields, dict):
        aliased = (getattr(i, "alias", None) or getattr(i, "validation_alias", None) for i in model_fields.values())
        if any(aliased):
            return None
        return tuple(model_fields)
    if dataclasses.is_dataclass(tp):
        return tuple(f.name for f in dataclasses.fields(tp))
    if typing.is_typeddict(tp):
        return tuple(typing.get_type_hints(tp))
    return None
