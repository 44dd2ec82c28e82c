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
from .conf import load_settings
from .responses import JSON

__all__ = [
    "HealthCheck",
    "add_health_check",
    "check_database",
    "database_check",
    "health_handler",
    "readiness_api",
    "ready_handler",
    "register_health_checks",
]

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


# django-bolt's names. Go already answers /health and runs @api.ready_check checks at
# /ready (DJANGO_BOLT["HEALTH_PATH"], ["READY_PATH"]); these map its helpers onto that.


async def check_database(alias: str = "default") -> tuple[bool, str]:
    """``(ok, message)`` for ``SELECT 1`` on the database (django-bolt's form)."""
    try:
        await database_check(alias)
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return True, "ok"


class HealthCheck:
    """A set of named checks run concurrently; each returns ``(ok, message)``, a bool, or
    raises."""

    def __init__(self) -> None:
        self.checks: list[tuple[str, Callable[[], Any]]] = []

    def add_check(self, func: Callable[[], Any], name: str | None = None) -> None:
        if not callable(func):
            raise TypeError(f"health checks must be callables, got {func!r}")
        self.checks.append((name or str(getattr(func, "__name__", repr(func))), func))

    async def run_checks(self) -> dict[str, Any]:
        """``{"healthy": bool, "checks": {name: {"healthy": bool, "message": str}}}``."""
        results = await asyncio.gather(*(_outcome(func) for _, func in self.checks))
        report = {name: {"healthy": ok, "message": msg} for (name, _), (ok, msg) in zip(self.checks, results)}
        return {"healthy": all(ok for ok, _ in results), "checks": report}


async def _outcome(func: Callable[[], Any]) -> tuple[bool, str]:
    try:
        result = func()
        if inspect.isawaitable(result):
            result = await asyncio.wait_for(result, READY_CHECK_TIMEOUT)
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"
    if isinstance(result, tuple) and len(result) == 2:
        return bool(result[0]), str(result[1])
    return result is not False, "ok" if result is not False else "returned False"


#: The process-wide checks of ``add_health_check`` (run by ``ready_handler``).
_global = HealthCheck()


def add_health_check(func: Callable[[], Any]) -> Callable[[], Any]:
    """Add a check to the ones ``ready_handler`` runs; usable as a decorator."""
    _global.add_check(func)
    return func


async def health_handler() -> dict[str, str]:
    """Liveness: ``{"status": "ok"}``."""
    return {"status": "ok"}


async def ready_handler() -> JSON:
    """Readiness: the database and every ``add_health_check`` check; 200 or 503."""
    checks = HealthCheck()
    checks.add_check(check_database, "database")
    for name, func in _global.checks:
        checks.add_check(func, name)
    report = await checks.run_checks()
    ok = report["healthy"]
    return JSON({"status": "ready" if ok else "not ready", **report}, status_code=200 if ok else 503)


def register_health_checks(api: BoltAPI, health_path: str = "/health", ready_path: str = "/ready") -> None:
    """Register ``GET /health`` and ``GET /ready`` on ``api`` (django-bolt's helper).

    Go answers the ``HEALTH_PATH``/``READY_PATH`` settings' paths before routing, so with
    the defaults this only adds the checks: ``/ready`` runs ``add_health_check`` checks
    through ``api.ready_check``. Other paths become routes of ``api``."""
    conf = load_settings()
    if health_path != conf.HEALTH_PATH:
        api.get(health_path, include_in_schema=False, auth=[], guards=[])(health_handler)
    if ready_path != conf.READY_PATH:
        api.get(ready_path, include_in_schema=False, auth=[], guards=[])(ready_handler)
    else:

        async def health_checks() -> bool:
            report = await _global.run_checks()
            return bool(report["healthy"])

        api.ready_check(health_checks)
