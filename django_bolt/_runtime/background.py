"""Work a handler schedules to run after its response (``BackgroundTasks``).

A handler that takes a ``BackgroundTasks`` argument gets a fresh one per request (the
``with_background`` wrapper, added at registration only to such routes). When the handler
returns, its durable tasks are enqueued through Django's tasks framework (awaited: the
response then means "enqueued"), and the others wait in ``pending`` until the dispatcher
has handed the response batch to Go (``start_pending``, called after ``bolt_respond``).
They run one after the other in a task of their own, errors logged; graceful shutdown
awaits them (``wait_running``).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("django_bolt.background")

#: BackgroundTasks whose handler returned; started after the next response flush.
pending: list[BackgroundTasks] = []
#: Running background tasks (awaited on graceful shutdown).
running: set[asyncio.Task[None]] = set()


class BackgroundTasks:
    """Functions to call after the response is sent, as in FastAPI.

    ``tasks.add_task(func, *args, **kwargs)``: ``func`` (``async def`` or plain ``def``,
    which runs in a thread) is called once the response has been handed to the server,
    in the order added; an exception is logged and does not affect the response or the
    other tasks. A graceful shutdown waits for them (up to ``GRACEFUL_TIMEOUT``).

    ``tasks.add_task(task, *args, durable=True, **kwargs)`` enqueues a Django task
    (``@task`` of ``django.tasks`` on Django 6, of the ``django-tasks`` package on 5.2)
    through the project's ``TASKS`` backend instead, before the response is sent: it
    survives a worker restart and runs in the task worker (``manage.py db_worker`` for the
    database backend). Its arguments must be JSON-serialisable, as the framework requires.
    """

    __slots__ = ("durable", "tasks")

    def __init__(self) -> None:
        self.tasks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
        self.durable: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = []

    def add_task(self, func: Callable[..., Any], /, *args: Any, durable: bool = False, **kwargs: Any) -> None:
        """Schedule ``func(*args, **kwargs)`` after the response (``durable=True``: enqueue
        the Django task ``func`` instead)."""
        if durable:
            if not callable(getattr(func, "aenqueue", None)):
                raise TypeError(
                    f"add_task(durable=True) needs a Django task (decorate {getattr(func, '__name__', func)!r} "
                    "with @task from django.tasks, or django_tasks on Django 5.2)"
                )
            self.durable.append((func, args, kwargs))
        else:
            if not callable(func):
                raise TypeError(f"add_task needs a callable, got {func!r}")
            self.tasks.append((func, args, kwargs))


def with_background(handler: Callable[..., Any], names: list[str]) -> Callable[..., Any]:
    """Wrap an async endpoint: a new BackgroundTasks for each of ``names`` (usually one),
    handed over when the handler has returned."""

    async def call(**kwargs: Any) -> Any:
        bags = [BackgroundTasks() for _ in names]
        for name, bag in zip(names, bags, strict=True):
            kwargs[name] = bag
        result = await handler(**kwargs)
        for bag in bags:
            for task, args, kw in bag.durable:
                await task.aenqueue(*args, **kw)
            if bag.tasks:
                pending.append(bag)
        return result

    call.__wrapped__ = handler  # type: ignore[attr-defined]
    return call


def start_pending() -> None:
    """Start what handlers scheduled (the dispatcher calls this after a flush)."""
    bags = pending[:]
    pending.clear()
    loop = asyncio.get_running_loop()
    for bag in bags:
        task = loop.create_task(_run(bag))
        running.add(task)
        task.add_done_callback(running.discard)


async def _run(bag: BackgroundTasks) -> None:
    for func, args, kwargs in bag.tasks:
        try:
            if inspect.iscoroutinefunction(func):
                await func(*args, **kwargs)
            else:
                result = await asyncio.to_thread(functools.partial(func, *args, **kwargs))
                if inspect.isawaitable(result):
                    await result
        except Exception:
            logger.exception("background task %s failed", getattr(func, "__qualname__", func))


async def wait_running(timeout: float) -> None:
    """Graceful shutdown: start what is pending and wait up to ``timeout`` seconds for every
    background task; those still running then are cancelled (and logged)."""
    if pending:
        start_pending()
    if not running:
        return
    _, left = await asyncio.wait(set(running), timeout=timeout) if timeout > 0 else (set(), set(running))
    if left:
        logger.warning("%d background task(s) still running after %.0f s: cancelled", len(left), timeout)
        for t in left:
            t.cancel()
