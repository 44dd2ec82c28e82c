"""Readiness: ``GET /ready`` runs the registered checks and answers 200 or 503.

``/health`` (liveness) is answered by Go alone; readiness needs Python because its checks are
yours: register them with ``@api.ready_check`` (async or sync; return or raise)::

    from django_bolt.health import database_check
    api.ready_check(database_check)

A check fails when it raises, returns False, or takes longer than ``READY_CHECK_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connections

from .api import BoltAPI
from .responses import JSON

__all__ = ["database_check", "readiness_api"]

#: Seconds one check may take before it counts as failed.
READY_CHECK_TIMEOUT = 5.0


async def database_check(alias: str = "default") -> None:
    """Ready when the database answers ``SELECT 1`` (Django's connection for ``alias``)."""

    def ping() -> None:
        connection = connections[alias]
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        finally:
            connection.close()

    await sync_to_async(ping, thread_sensitive=False)()


async def _run(check: Callable[[], Any]) -> str | None:
    """None when the check passed, else why it failed."""
    try:
        result = check()
        if inspect.isawaitable(result):
            result = await asyncio.wait_for(result, READY_CHECK_TIMEOUT)
    except TimeoutError:
        return f"timed out after {READY_CHECK_TIMEOUT:g}s"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "returned False" if result is False else None


def readiness_api(checks: Sequence[tuple[str, Callable[[], Any]]], path: str) -> Any:
    """An API with one route, ``GET path``, that runs every check concurrently."""
    api = BoltAPI()

    async def ready() -> JSON:
        failures = await asyncio.gather(*(_run(check) for _, check in checks))
        report = {name: failure or "ok" for (name, _), failure in zip(checks, failures)}
        ok = not any(failures)
        return JSON({"status": "ready" if ok else "not ready", "checks": report}, status_code=200 if ok else 503)

    # Probes carry no credentials: the default auth and guards (BOLT_*) do not apply.
    api.get(path, include_in_schema=False, auth=[], guards=[])(ready)
    return api
