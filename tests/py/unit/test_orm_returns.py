"""OrmReturns: returned QuerySets evaluated on the ORM threads, answered to the loop in batches."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from django_bolt._runtime.orm import OrmReturns


class ManualPool:
    """An ORM pool whose runners the test runs itself, one at a time."""

    threads = 2

    def __init__(self) -> None:
        self.runners: list[tuple[Any, tuple[Any, ...]]] = []

    def submit_unpinned(self, fn: Any, *args: Any) -> None:
        self.runners.append((fn, args))

    def run_all(self) -> None:
        while self.runners:
            fn, args = self.runners.pop(0)
            fn(*args)


def _returns(answers: list[Any]) -> tuple[asyncio.AbstractEventLoop, OrmReturns]:
    loop = asyncio.new_event_loop()
    # With a response model the returned object is passed to it as it is (no query here).
    return loop, OrmReturns(loop, lambda result, route: (200, 1, b"", str(result).encode()), answers.extend)


def test_answers_come_back_in_one_batch_with_their_request_ids() -> None:
    answers: list[Any] = []
    loop, returns = _returns(answers)
    pool = ManualPool()
    route = SimpleNamespace(outputs={200: None})
    for rid in range(10):
        returns.submit(pool, rid, route, f"rows-{rid}")
    assert len(pool.runners) == ManualPool.threads  # no more runners than threads
    pool.run_all()
    loop.run_until_complete(asyncio.sleep(0))  # the loop was woken once, for all ten
    loop.close()
    assert [(rid, outcome[3]) for rid, _, outcome in answers] == [(i, f"rows-{i}".encode()) for i in range(10)]


def test_a_cancelled_return_is_not_evaluated_and_errors_are_answers() -> None:
    answers: list[Any] = []
    loop, returns = _returns(answers)
    pool = ManualPool()
    route = SimpleNamespace(outputs={200: None})
    broken = SimpleNamespace(outputs=None)  # no response model: reads `_meta`, which fails
    returns.submit(pool, 1, route, "one")
    returns.submit(pool, 2, route, "two").cancel()
    returns.submit(pool, 3, broken, object())
    pool.run_all()
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()
    assert [rid for rid, _, _ in answers] == [1, 3]
    assert isinstance(answers[1][2], AttributeError)


def test_an_answer_does_not_wait_for_the_returns_queued_behind_it() -> None:
    answers: list[Any] = []
    loop = asyncio.new_event_loop()
    seen_while_evaluating: list[list[int]] = []

    def encode(result: Any, route: Any) -> tuple[int, int, bytes, bytes]:
        if result == "slow":  # the loop runs meanwhile (here: now) and already has "fast"
            loop.run_until_complete(asyncio.sleep(0))
            seen_while_evaluating.append([rid for rid, _, _ in answers])
        return (200, 1, b"", result.encode())

    returns = OrmReturns(loop, encode, answers.extend)
    pool = ManualPool()
    route = SimpleNamespace(outputs={200: None})
    returns.submit(pool, 1, route, "fast")
    returns.submit(pool, 2, route, "slow")
    pool.run_all()
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()
    assert seen_while_evaluating == [[1]]
    assert [rid for rid, _, _ in answers] == [1, 2]
