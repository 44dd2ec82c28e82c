"""``sync_to_thread``: call blocking code from an async handler without blocking the loop::

from django_bolt.concurrency import sync_to_thread

rows = await sync_to_thread(expensive_report, year=2026)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async

__all__ = ["sync_to_thread"]

T = TypeVar("T")


async def sync_to_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` in a worker thread (asgiref's pool, not the one thread
    Django reserves for thread-sensitive code) and return its result."""
    return await sync_to_async(fn, thread_sensitive=False)(*args, **kwargs)
