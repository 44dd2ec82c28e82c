"""Django's ORM under the event loop: a bounded pool of ORM threads, one per request at a
time, QuerySet and model returns, and a useful message for ``SynchronousOnlyOperation``.

Django's ``aget``/``acount``/``async for``/``asave``... are ``sync_to_async(thread_sensitive=True)``
calls. Outside a request context asgiref runs every thread-sensitive call on ONE process-wide
thread, so concurrent requests would queue behind each other's queries. ``orm_pool`` enters an
asgiref ``ThreadSensitiveContext`` whose executor is ``OrmExecutor``: N single-thread lanes
(the database's pool size), each with its own Django connection (Django's connections are
thread-local). Each request takes a lane at its first ORM call and keeps it until it ends,
as Django's ASGI handler gives each request its own thread-sensitive context: every ORM
call of a request sees the same connection and thread-locals. When the request ends its
connections are released the way Django does it after a request
(``close_if_unusable_or_obsolete``: returned to the psycopg pool, or kept when persistent and
healthy) and the lane goes to the next request. See docs/database.md.
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
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import Context, ContextVar, copy_context
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable

from .._routing.models import response_model_from
from .._routing.plans import list_item
from ..db import default_orm_threads
from .orm_sql import values_rows

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


class _Lane:
    """One ORM thread (and so one Django connection per alias: they are thread-local)."""

    __slots__ = ("pool",)

    def __init__(self, index: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"bolt-orm-{index}")


class RequestLane:
    """The ORM thread of one request: every thread-sensitive call of the request (and of
    the tasks it starts after its first call) runs on it, as under Django's ASGI handler,
    so state a call leaves on the connection or the thread (``SET``, a tenant's schema,
    thread-locals) is there for the next call, and no other request's call runs between
    them. Taken at the request's first ORM call (waiting, first come first served, while
    every thread is taken) and given back when the request's task ends, after the thread
    released its connections (``release_connections``)."""

    __slots__ = ("bound", "executor", "lane", "pending", "released")

    def __init__(self, executor: OrmExecutor) -> None:
        self.executor = executor
        self.lane: _Lane | None = None
        #: calls made while waiting for a thread: (fn, args, kwargs, future)
        self.pending: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any], Future[Any]]] = []
        self.bound = False  # its release is tied to the request's task
        self.released = False

    def submit(self, fn: Callable[..., _T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Future[_T]:
        ex = self.executor
        with ex.lock:
            if self.lane is None:
                if ex.free:
                    self.lane = ex.free.popleft()
                else:
                    future: Future[_T] = Future()
                    if not self.pending:
                        ex.waiting.append(self)
                    self.pending.append((fn, args, kwargs, future))
                    return future
            lane = self.lane
        return lane.pool.submit(fn, *args, **kwargs)

    def release(self, _task: object = None, *, connections_released: bool = False) -> None:
        """The request ended: its thread releases its connections and goes to the next
        request waiting for one (any thread; a cancelled request's waiting calls are dropped)."""
        ex = self.executor
        with ex.lock:
            if self.released:
                return
            self.released = True
            lane, self.lane = self.lane, None
            dropped, self.pending = self.pending, []
            if dropped:
                with contextlib.suppress(ValueError):
                    ex.waiting.remove(self)
        for *_, future in dropped:
            future.cancel()
        if lane is not None:
            if not connections_released:
                # After the request's last calls (one thread: in order); a call still
                # running (a cancelled query cannot be stopped) finishes first.
                with contextlib.suppress(RuntimeError):  # the pool has shut down (server stop)
                    lane.pool.submit(release_connections)
            ex.hand_over(lane)


#: The current request's lane; set at its first thread-sensitive call (see OrmExecutor).
_request_lane: ContextVar[RequestLane | None] = ContextVar("bolt_orm_lane", default=None)


class OrmExecutor(Executor):
    """The ORM threads: ``threads`` single-thread lanes, each with its own connection.

    ``submit`` (asgiref's thread-sensitive calls, i.e. the async ORM) runs every call of a
    request on the request's lane (``RequestLane``); different requests run in parallel
    up to ``threads``. ``submit_unpinned`` runs a job on any free lane and releases the
    connections after it (the evaluation of returned QuerySets, startup hooks). A call
    cancelled by a client disconnect still runs to its end in its thread (a query cannot
    be interrupted from Python), and the lane still releases: no connection leaks.
    """

    def __init__(self, threads: int) -> None:
        self.threads = threads
        # Re-entrant: a job that finishes at once runs its callbacks (release) under it.
        self.lock = threading.RLock()
        self.lanes = [_Lane(i) for i in range(threads)]
        self.free: deque[_Lane] = deque(self.lanes)
        self.waiting: deque[RequestLane] = deque()

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        if asyncio._get_running_loop() is None:  # a worker thread (nested calls): any lane
            return self.submit_unpinned(fn, *args, **kwargs)
        lane = _request_lane.get()
        if lane is None or lane.released:
            lane = RequestLane(self)
            _request_lane.set(lane)
            task = asyncio.current_task()
            if task is not None:
                lane.bound = True
                task.add_done_callback(lane.release)
            # else: the request's first step, outside a task; bind_lane ties it to the task
        return lane.submit(fn, args, kwargs)

    def submit_unpinned(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        """Run fn on a lane of its own for this one job, connections released after it."""
        with self.lock:
            free = self.free.popleft() if self.free else None
        if free is not None:
            # Speed: a free thread takes the job directly and passes itself on at its end
            # (no RequestLane, no callback, no second job; /users returns QuerySets).
            return free.pool.submit(self._run_then_hand_over, free, fn, args, kwargs)
        lane = RequestLane(self)  # every thread is taken: wait in line like a request
        future = lane.submit(_run_released, (fn, args, kwargs), {})
        future.add_done_callback(lambda _f: lane.release(connections_released=True))
        return future

    def _run_then_hand_over(
        self, lane: _Lane, fn: Callable[..., _T], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> _T:
        try:
            return fn(*args, **kwargs)
        finally:
            release_connections()
            self.hand_over(lane)

    def hand_over(self, lane: _Lane) -> None:
        """A lane is free again: to the request that has waited longest, or to the pool."""
        with self.lock:
            while self.waiting:
                nxt = self.waiting.popleft()
                if nxt.released or not nxt.pending:
                    continue
                nxt.lane = lane
                calls, nxt.pending = nxt.pending, []
                # Under the lock: a call the request makes meanwhile queues after these.
                for fn, args, kwargs, future in calls:
                    if future.set_running_or_notify_cancel():
                        _chain(lane.pool.submit(fn, *args, **kwargs), future)
                return
            self.free.append(lane)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        for lane in self.lanes:
            lane.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _chain(inner: Future[Any], outer: Future[Any]) -> None:
    def copy(f: Future[Any]) -> None:
        exc = f.exception()
        if exc is not None:
            outer.set_exception(exc)
        else:
            outer.set_result(f.result())

    inner.add_done_callback(copy)


def bind_lane(task: asyncio.Task[Any], ctx: Context) -> None:
    """Tie the lane a request took in its first step (before it had a task) to the task
    that runs the rest of it: the lane is given back when the task ends."""
    lane = ctx.get(_request_lane)
    if lane is not None and not lane.bound:
        lane.bound = True
        task.add_done_callback(lane.release)


def release_lane() -> None:
    """Give back the lane the current context holds (the startup hooks' one, before the
    server serves: every request's context is a copy of this one)."""
    lane = _request_lane.get()
    if lane is not None:
        lane.release()
        _request_lane.set(None)


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
            executor.submit_unpinned(self._run, executor)
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
            executor.submit_unpinned(self._run, executor)
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
            return values_rows(result, fields) if fields else list(result)
        return values_rows(result, None)
    if route.outputs:
        return result
    return {f.attname: getattr(result, f.attname) for f in result._meta.concrete_fields}


_projections: dict[tuple[int, type[Model], frozenset[str]], tuple[str, ...] | None] = {}


def _projection(route: Route, qs: QuerySet[Any]) -> tuple[str, ...] | None:
    """The response model's field names when ``.values(*names)`` can fetch all of them."""
    # Not qs.query: that applies a deferred filter (ViewSet retrieve, orm_sql.defer_lookup),
    # which adds no annotation.
    state: Any = qs
    annotations = frozenset(state._query.annotations)
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
