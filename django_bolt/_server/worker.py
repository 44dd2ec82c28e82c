"""One worker process of a multi-worker ``runbolt``: ``python -m django_bolt._server.worker``.

The supervisor (``supervisor.py``) starts each worker with exec, never fork: the worker
loads libbolt.so itself, binds the shared address with SO_REUSEPORT and tells the
supervisor over an inherited socket when it listens ("ready") and when it has served its
``--max-requests`` ("recycle"). End-of-file on that socket means the supervisor is gone, and
the worker stops gracefully rather than being left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django
from django.conf import settings

from .._routing.route import Route
from ..conf import load_settings
from ..exceptions import BoltConfigError
from .discovery import collect_routes, discover_apis
from .logs import configure as configure_logging
from .serve import ServeOptions, run

#: Environment variable that carries the JSON ``WorkerSpec``.
SPEC_ENV = "DJANGO_BOLT_WORKER"
#: Exit code of a worker that could not start (configuration, bind or start-up hook error).
EXIT_STARTUP_FAILED = 3


@dataclass(frozen=True)
class WorkerSpec:
    worker_id: int
    host: str
    port: int
    backlog: int
    status_fd: int
    sys_path: list[str]
    max_requests: int = 0  # 0: never recycle
    cpu: int | None = None  # pin to this CPU
    debug: bool = False  # tracebacks in 500 bodies even without settings.DEBUG (--dev)


class SupervisorLink:
    """The worker's end of the socket to the supervisor."""

    def __init__(self, fd: int) -> None:
        self.sock = socket.socket(fileno=fd)
        self.recycle_sent = False

    def send(self, message: str) -> None:
        with contextlib.suppress(OSError):  # the supervisor is gone; the reader below stops us
            self.sock.send(message.encode() + b"\n")

    def ready(self, port: int, stop: asyncio.Event) -> None:
        """OnReady for serve(): report, then stop when the supervisor goes away."""
        loop = asyncio.get_running_loop()
        self.sock.setblocking(False)

        def supervisor_readable() -> None:
            try:
                data = self.sock.recv(64)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(self.sock.fileno())
                stop.set()

        loop.add_reader(self.sock.fileno(), supervisor_readable)
        self.send(f"ready {port}")

    def recycle(self) -> None:
        if not self.recycle_sent:
            self.recycle_sent = True
            self.send("recycle")


def count_requests(routes: list[Route], limit: int, on_limit: Callable[[], None]) -> list[Route]:
    """Copies of ``routes`` whose endpoints call ``on_limit`` at the ``limit``-th request.

    Only used with ``--max-requests``, so the usual hot path has no counter at all.
    """
    count = 0

    def counted(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal count
            count += 1
            if count == limit:
                on_limit()
            return endpoint(*args, **kwargs)

        return call

    return [dataclasses.replace(r, endpoint=counted(r.endpoint)) for r in routes]


def _serve(spec: WorkerSpec, link: SupervisorLink) -> None:
    django.setup()
    conf = load_settings()
    apis = discover_apis(conf.API)
    routes = collect_routes(apis, conf.READY_PATH)
    if spec.max_requests > 0:
        routes = count_requests(routes, spec.max_requests, link.recycle)
    opts = ServeOptions(
        host=spec.host,
        port=spec.port,
        backlog=spec.backlog,
        settings=conf,
        debug=spec.debug or bool(settings.DEBUG),
        reuse_port=True,
        dev=spec.debug,
        worker_id=spec.worker_id,
        announce=False,  # the supervisor writes the banner once
    )
    run(routes, opts, apis, on_ready=link.ready)


def main() -> int:
    spec = WorkerSpec(**json.loads(os.environ[SPEC_ENV]))
    # The supervisor's import path (manage.py's directory, --pythonpath) is not implied by
    # `python -m`; without it the settings module would not import.
    sys.path[:0] = [p for p in spec.sys_path if p not in sys.path]
    if spec.cpu is not None:
        os.sched_setaffinity(0, {spec.cpu})
    configure_logging(dev=spec.debug, worker_id=spec.worker_id)
    link = SupervisorLink(spec.status_fd)
    try:
        _serve(spec, link)
    except Exception as exc:
        if not isinstance(exc, BoltConfigError):
            raise
        logging.getLogger("django_bolt").error("%s", exc)
        return EXIT_STARTUP_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
