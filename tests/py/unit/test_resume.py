"""The hand-over of a coroutine that already ran to its first await into a Task."""

from __future__ import annotations

import asyncio

import pytest

from django_bolt._runtime.dispatch import _Resumed


async def _two_awaits(events: list[str]) -> int:
    events.append("start")
    await asyncio.sleep(0)
    events.append("middle")
    await asyncio.sleep(0.01)
    events.append("end")
    return 42


def test_task_resumes_where_send_stopped() -> None:
    async def main() -> None:
        events: list[str] = []
        coro = _two_awaits(events)
        first = coro.send(None)
        assert events == ["start"]
        task = asyncio.get_running_loop().create_task(_Resumed(coro, first))
        assert await task == 42
        assert events == ["start", "middle", "end"]

    asyncio.run(main())


def test_cancel_reaches_the_handler() -> None:
    seen: list[str] = []

    async def handler() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    async def main() -> None:
        coro = handler()
        first = coro.send(None)
        task = asyncio.get_running_loop().create_task(_Resumed(coro, first))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert seen == ["cancelled"]


def test_exception_after_await_surfaces_on_the_task() -> None:
    async def handler() -> None:
        await asyncio.sleep(0)
        raise KeyError("x")

    async def main() -> None:
        coro = handler()
        task = asyncio.get_running_loop().create_task(_Resumed(coro, coro.send(None)))
        with pytest.raises(KeyError):
            await task

    asyncio.run(main())
