"""Running the server in this process: start Go, watch its wake-up fd, stop on a signal."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from dataclasses import dataclass
from typing import Any

from . import _native
from ._dispatch import Dispatcher
from .api import Route
from .conf import BoltSettings
from .exceptions import BoltConfigError

logger = logging.getLogger("django_bolt")


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    backlog: int
    settings: BoltSettings
    debug: bool = False


def server_config(routes: list[Route], opts: ServeOptions) -> bytes:
    """The JSON that libbolt's server.ParseConfig reads (libbolt/server/config.go)."""
    s = opts.settings
    config: dict[str, Any] = {
        "host": opts.host,
        "port": opts.port,
        "backlog": opts.backlog,
        "routes": [{"id": i, "method": r.method, "path": r.path, "flags": r.flags} for i, r in enumerate(routes)],
        "handler_timeout_ms": int(s.HANDLER_TIMEOUT * 1000),
        "max_header_bytes": s.MAX_HEADER_BYTES,
        "read_timeout_ms": int(s.READ_TIMEOUT * 1000),
        "write_timeout_ms": int(s.WRITE_TIMEOUT * 1000),
        "idle_timeout_ms": int(s.IDLE_TIMEOUT * 1000),
        "max_connections": s.MAX_CONNECTIONS,
    }
    if s.MAX_BODY_SIZE:
        config["max_body_size"] = s.MAX_BODY_SIZE
    return json.dumps(config).encode()


async def serve(routes: list[Route], opts: ServeOptions) -> None:
    """Serve until SIGINT or SIGTERM, then drain in-flight requests and return."""
    lib = _native.load()
    ffi = _native.ffi
    cfg = server_config(routes, opts)
    handle = lib.bolt_new(ffi.from_buffer(cfg), len(cfg))
    if handle == 0:
        raise BoltConfigError(_native.last_error(lib))
    loop = asyncio.get_running_loop()
    dispatcher = Dispatcher(lib, handle, routes, loop, opts.debug)
    fd = lib.bolt_wake_fd(handle)
    try:
        port = lib.bolt_start(handle)
        if port < 0:
            raise BoltConfigError(_native.last_error(lib))
        loop.add_reader(fd, dispatcher.drain)
        stop = asyncio.Event()
        # Installed explicitly: a process started in the background inherits SIGINT ignored.
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        host = f"[{opts.host}]" if ":" in opts.host else opts.host
        logger.info("django-bolt-go serving %d route(s) on http://%s:%d", len(routes), host, port)
        print(f"Listening on http://{host}:{port} ({len(routes)} routes)", file=sys.stderr, flush=True)
        await stop.wait()
        print("Shutting down: finishing in-flight requests...", file=sys.stderr, flush=True)
        grace_ms = int(opts.settings.GRACEFUL_TIMEOUT * 1000)
        # bolt_stop blocks until requests finish, and they finish on this loop: run it in a
        # thread (cffi releases the GIL) while the loop keeps draining.
        await loop.run_in_executor(None, lib.bolt_stop, handle, grace_ms)
        dispatcher.drain()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        loop.remove_reader(fd)
        dispatcher.cancel_all()
        dispatcher.flush()
        lib.bolt_free(handle)
