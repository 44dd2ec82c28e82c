"""Routes for tests/py/e2e/test_background.py (loaded when TEST_BACKGROUND is set):
BackgroundTasks after the response, and durable tasks through django-tasks' database
backend."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from django.conf import settings
from django_tasks import task

from django_bolt import BackgroundTasks, BoltAPI

api = BoltAPI()


def _marker(name: str) -> Path:
    return Path(settings.MARKER_DIR, name)


def _write(name: str, text: str) -> None:
    """Write a marker whole: the test waits for the file to exist and then reads it, so it
    must never see it created but still empty (a race seen once in CI)."""
    tmp = _marker(f".{name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, _marker(name))


async def after_go(name: str) -> None:
    """Waits for the test's "go" marker, then writes "done": the response must have left
    before, or the test (which creates "go" only once it has the response) never sees it."""
    for _ in range(400):
        if _marker(f"{name}.go").exists():
            break
        await asyncio.sleep(0.05)
    _write(f"{name}.done", "done")


def sync_write(name: str, text: str) -> None:
    _write(name, text)


async def slow_write(name: str) -> None:
    await asyncio.sleep(1)
    _write(name, "slow")


def explode() -> None:
    raise RuntimeError("background boom")


@task()
def durable_write(name: str) -> None:
    _write(name, "durable")


@api.post("/bg/after/{name}")
async def after(name: str, tasks: BackgroundTasks) -> dict[str, str]:
    tasks.add_task(after_go, name)
    tasks.add_task(sync_write, f"{name}.second", text="in order")
    return {"scheduled": name}


@api.post("/bg/error")
async def error(tasks: BackgroundTasks) -> dict[str, bool]:
    tasks.add_task(explode)
    return {"ok": True}


@api.post("/bg/slow/{name}")
async def slow(name: str, tasks: BackgroundTasks) -> dict[str, bool]:
    tasks.add_task(slow_write, name)
    return {"ok": True}


@api.post("/bg/durable/{name}")
async def durable(name: str, tasks: BackgroundTasks) -> dict[str, bool]:
    tasks.add_task(durable_write, name, durable=True)
    return {"ok": True}


@api.post("/bg/not-a-task")
async def not_a_task(tasks: BackgroundTasks) -> dict[str, bool]:
    tasks.add_task(sync_write, "x", "y", durable=True)
    return {"ok": True}
