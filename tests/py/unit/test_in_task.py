"""_asgi.in_task: the coroutine's context variables never leak into the caller's context,
even when the caller's first step runs outside any Task (as the dispatcher runs it)."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

from django_bolt._django.asgi import in_task
from django_bolt._runtime.dispatch import _Resumed

var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="base")


async def sets_then_resets() -> str:
    token = var.set("handler")
    await asyncio.sleep(0)
    seen = var.get()
    var.reset(token)  # in another context than set() without isolation: ValueError
    return seen


async def wrapper(wrap: Any) -> str:
    return str(await wrap(sets_then_resets()))


def test_first_step_outside_a_task_does_not_leak() -> None:
    async def main() -> None:
        coro = wrapper(in_task)
        first = coro.send(None)  # the dispatcher's first step, in the loop's context
        assert var.get() == "base"
        task = asyncio.get_running_loop().create_task(_Resumed(coro, first))
        assert await task == "handler"
        assert var.get() == "base"

    asyncio.run(main())


def test_without_isolation_the_reset_fails() -> None:
    async def main() -> None:
        coro = sets_then_resets()
        first = coro.send(None)
        task = asyncio.get_running_loop().create_task(_Resumed(coro, first))
        with pytest.raises(ValueError, match="different Context"):
            await task

    asyncio.run(main())


def test_in_task_passes_errors_and_cancellation() -> None:
    async def fails() -> None:
        await asyncio.sleep(0)
        raise KeyError("x")

    async def sleeps(done: list[str]) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            done.append("cancelled")
            raise

    async def main() -> None:
        with pytest.raises(KeyError):
            await in_task(fails())
        done: list[str] = []
        task = asyncio.ensure_future(in_task(sleeps(done)))
        for _ in range(2):  # the outer Task starts the inner one, which starts sleeping
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert done == ["cancelled"]

    asyncio.run(main())
