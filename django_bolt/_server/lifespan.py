"""Start-up and shutdown hooks of the served APIs, run once per worker on its event loop."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from ..api import BoltAPI
from ..exceptions import BoltConfigError

logger = logging.getLogger("django_bolt")


def _name(hook: Callable[..., Any]) -> str:
    return f"{getattr(hook, '__module__', '?')}.{getattr(hook, '__qualname__', repr(hook))}"


async def _call(hook: Callable[[], Any]) -> None:
    result = hook()
    if inspect.isawaitable(result):
        await result


async def _shutdown(hooks: list[Callable[[], Any]]) -> None:
    # Every shutdown hook runs even if an earlier one fails: each releases its own resource.
    for hook in hooks:
        try:
            await _call(hook)
        except Exception:
            logger.exception("shutdown hook %s failed", _name(hook))


@asynccontextmanager
async def lifespan(apis: Sequence[BoltAPI]) -> AsyncIterator[None]:
    """Per API: ``on_startup`` hooks, then enter ``lifespan(api)``; on exit the reverse.

    A start-up failure is a ``BoltConfigError`` naming the hook (its traceback is logged);
    what had already started successfully is shut down first. Lifespans always exit as after
    a clean run: an error of the server itself is reported by the server, not thrown into
    the user's context managers (whose clean-up would then be skipped unless guarded).
    """
    stack = AsyncExitStack()
    for api in apis:
        hook: Callable[..., Any] | None = None
        try:
            for hook in api.on_startup:
                await _call(hook)
            stack.push_async_callback(_shutdown, list(api.on_shutdown))
            if api.lifespan is not None:
                hook = api.lifespan
                await stack.enter_async_context(api.lifespan(api))
        except Exception as exc:
            where = _name(hook) if hook is not None else "?"
            logger.error("start-up hook %s failed", where, exc_info=True)
            await stack.aclose()
            raise BoltConfigError(f"start-up hook {where} failed: {exc!r}") from exc
    try:
        yield
    finally:
        await stack.aclose()
