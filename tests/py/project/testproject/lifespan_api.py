"""An API with lifecycle hooks; served when TEST_LIFESPAN is set (see settings.py).

Each hook writes a marker file named after the hook and the worker's pid, so a test can
count how many times it ran and in which process.
"""

import os
from contextlib import asynccontextmanager
from pathlib import Path

from django.conf import settings

from django_bolt import BoltAPI


def _mark(name: str) -> None:
    Path(settings.MARKER_DIR, f"{name}-{os.getpid()}").write_text(name)


def on_startup() -> None:
    if os.environ.get("TEST_LIFESPAN") == "fail":
        raise RuntimeError("database unreachable (on purpose)")
    _mark("startup")


async def on_shutdown() -> None:
    _mark("shutdown")


@asynccontextmanager
async def lifespan(app: BoltAPI):
    _mark("lifespan-enter")
    app.state_value = "ready"  # type: ignore[attr-defined]
    yield
    _mark("lifespan-exit")


api = BoltAPI(prefix="/life", lifespan=lifespan, on_startup=[on_startup], on_shutdown=[on_shutdown])


@api.get("/state")
async def state():
    return {"state": getattr(api, "state_value", None), "pid": os.getpid()}
