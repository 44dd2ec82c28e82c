"""Running the server in this process: start Go, watch its wake-up fd, stop on a signal."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .. import compression
from .._django.asgi import FALLBACK_METHOD, raw_binder
from .._django.prepare import prepare as prepare_django
from .._native import library as native
from .._routing.middleware import is_chain_binder
from .._routing.route import Route
from .._runtime import background
from .._runtime.dispatch import Dispatcher
from .._runtime.encoding import set_file_roots
from .._runtime.orm import orm_pool, orm_threads, release_lane
from ..api import BoltAPI
from ..conf import BoltSettings
from ..db import install_pool_checks
from ..exceptions import BoltConfigError
from ..middleware import global_cors, go_skips, route_cors
from ..openapi import static_responses
from ..openapi.serving import file_roots_with_docs, resolve_config
from . import logs, observe
from .lifespan import lifespan
from .protect import protection_config
from .state import state_config

logger = logging.getLogger("django_bolt")


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    backlog: int
    settings: BoltSettings
    debug: bool = False
    #: SO_REUSEPORT, for worker processes that share the address.
    reuse_port: bool = False
    #: ``runbolt --dev``: readable access log lines instead of JSON.
    dev: bool = False
    #: The worker id written on every log line (None: a process without one).
    worker_id: int | None = None
    #: Write the start-up banner (the single serving process; a supervisor writes its own).
    announce: bool = True


#: binders of routes whose middleware sees the whole request (Python chains, django_middleware)
_WHOLE_RECORD = (raw_binder,)


def server_config(
    routes: list[Route], opts: ServeOptions, apis: Sequence[BoltAPI] = (), extra: dict[str, Any] | None = None
) -> bytes:
    """The JSON that libbolt's server.ParseConfig reads (libbolt/server/config.go); the
    OpenAPI document and docs pages of ``apis`` are computed here, once; ``extra`` adds
    sections (the Django fallback and static files, from _django/prepare.py)."""
    s = opts.settings
    config: dict[str, Any] = {
        "host": opts.host,
        "port": opts.port,
        "backlog": opts.backlog,
        "routes": [
            {"id": i, "method": r.method, "path": r.path, "flags": r.flags}
            for i, r in enumerate(routes)
            if r.method != FALLBACK_METHOD  # reached through config["fallback"], not the router
        ],
        "handler_timeout_ms": int(s.HANDLER_TIMEOUT * 1000),
        "max_header_bytes": s.MAX_HEADER_BYTES,
        "read_timeout_ms": int(s.READ_TIMEOUT * 1000),
        "write_timeout_ms": int(s.WRITE_TIMEOUT * 1000),
        "idle_timeout_ms": int(s.IDLE_TIMEOUT * 1000),
        "max_connections": s.MAX_CONNECTIONS,
    }
    config["front_end"] = s.FRONT_END
    config["max_headers"] = s.MAX_HEADERS
    config["max_uri_bytes"] = s.MAX_URI_BYTES
    config["health_path"] = s.HEALTH_PATH or ""
    global_policy = global_cors() if settings.configured else None
    if global_policy is not None:
        config["cors"] = global_policy
    per_route = {
        str(i): c
        for i, r in enumerate(routes)
        if (c := route_cors(r.handler, global_policy, r.extra.get("go_middleware", {}).get("cors"))) is not None
    }
    if per_route:
        config["route_cors"] = per_route
    # The client address travels only for handlers that take the request (META["REMOTE_ADDR"]).
    # (and routes whose middleware builds one: Python chains, django_middleware).
    client = [
        i
        for i, r in enumerate(routes)
        if r.binder in _WHOLE_RECORD or is_chain_binder(r.binder) or any(a.source == "request" for a in r.params)
    ]
    if client:
        config["route_client"] = client
    skipped = {str(i): names for i, r in enumerate(routes) if (names := go_skips(r.handler))}
    if skipped:
        config["route_skip"] = skipped
    # A route's own handler timeout, once the route decorators accept `timeout=` (stored in
    # Route.extra); Go applies it instead of HANDLER_TIMEOUT.
    timeouts = {str(i): int(r.extra["timeout"] * 1000) for i, r in enumerate(routes) if r.extra.get("timeout")}
    if timeouts:
        config["route_timeout_ms"] = timeouts
    if s.MAX_BODY_SIZE:
        config["max_body_size"] = s.MAX_BODY_SIZE
    if limits := route_body_limits(routes):
        config["route_max_body"] = limits
    if json_only := json_body_routes(routes):
        config["json_body_routes"] = json_only
    config["max_inflight_body"] = s.MAX_INFLIGHT_BODY
    config.update(host_config())
    if opts.reuse_port:
        config["reuse_port"] = True
    config.update(protection_config(routes, s))
    config.update(state_config(s))
    if docs := static_responses(apis, routes, s.DOCS_ASSETS_DIR, s.DOCS_CDN):
        config["static_responses"] = docs
    config.update(extra or {})
    config["upload_memory_max"] = s.FILE_UPLOAD_MAX_MEMORY_SIZE
    config["multipart_max_files"] = s.MULTIPART_MAX_FILES
    config["multipart_max_fields"] = s.MULTIPART_MAX_FIELDS
    if s.FILE_UPLOAD_TEMP_DIR:
        config["upload_temp_dir"] = s.FILE_UPLOAD_TEMP_DIR
    config.update(compression.go_config(routes))
    config.update(observe.go_config(s, opts.dev, apis))
    config["websocket"] = {
        "max_connections": s.WS_MAX_CONNECTIONS,
        "max_message_size": s.WS_MAX_MESSAGE_SIZE,
        "heartbeat_interval_ms": int(s.WS_HEARTBEAT_INTERVAL * 1000),
        "client_timeout_ms": int(s.WS_CLIENT_TIMEOUT * 1000),
    }
    if s.WS_QUERY_TOKEN:
        config["websocket"]["query_token"] = s.WS_QUERY_TOKEN
    if s.WS_COMPRESSION:
        config["websocket"]["compression"] = True
    config.update(logs.go_config(opts.dev, opts.worker_id))
    if "access_log" in config and opts.worker_id is not None:
        config["access_log"]["worker"] = opts.worker_id
    return json.dumps(config).encode()


def host_config() -> dict[str, Any]:
    """Django's ALLOWED_HOSTS for Go (``host_check``, ``allowed_hosts``), as
    ``HttpRequest.get_host`` applies it: with DEBUG an empty list allows the local names;
    ``"*"`` (or no Django settings) turns the check off."""
    if not settings.configured:
        return {}
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    if "*" in hosts:
        return {}
    return {"host_check": True, "allowed_hosts": hosts}


#: Argument sources through which a handler can see the request body.
_BODY_SOURCES = frozenset({"body", "form", "file", "request", "depends"})


def route_body_limits(routes: list[Route]) -> dict[str, int]:
    """Per-route body limits for Go (``route_max_body``): a route's ``max_body_size=``, or 0
    for a route whose handler cannot see a body (Go then reads none: 413, and 417 for
    ``Expect: 100-continue``). Routes absent from the map use ``MAX_BODY_SIZE``."""
    limits: dict[str, int] = {}
    for i, r in enumerate(routes):
        if "max_body_size" not in r.extra:
            continue  # not made by add_route (the Django fallback, mount_asgi): raw bodies
        if (own := r.extra["max_body_size"]) is not None:
            limits[str(i)] = own
        elif not any(a.source in _BODY_SOURCES for a in r.params):
            limits[str(i)] = 0
    return limits


def json_body_routes(routes: list[Route]) -> list[int]:
    """Ids of the routes with a JSON body argument whose ``strict_content_type`` is on: Go
    answers 415 for a body of another Content-Type (text/plain, forms) before reading it."""
    return [
        i
        for i, r in enumerate(routes)
        if r.extra.get("strict_content_type", True) and any(a.source == "body" for a in r.params)
    ]


#: Called once the server listens, with its bound port and the event that stops it.
OnReady = Callable[[int, asyncio.Event], None]


def docs_path(apis: Sequence[BoltAPI]) -> str | None:
    """Where the docs UI is served, for the banner (None: docs off)."""
    config = resolve_config(apis) if apis else None
    return config.path if config is not None and config.enabled else None


def loop_name(use_uvloop: bool | None) -> str:
    """The event loop ``run`` will use, for the supervisor's banner."""
    return "asyncio" if loop_factory(use_uvloop) is None else "uvloop"


def loop_factory(use_uvloop: bool | None) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when it is wanted (``None``: if it is installed), else asyncio's."""
    if use_uvloop is False:
        return None
    try:
        import uvloop  # noqa: PLC0415 - optional dependency
    except ImportError:
        if use_uvloop:
            raise BoltConfigError(
                "DJANGO_BOLT['UVLOOP'] is True but uvloop is not installed: pip install 'django-bolt-go[uvloop]'"
            ) from None
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(routes: list[Route], opts: ServeOptions, apis: Sequence[BoltAPI] = (), on_ready: OnReady | None = None) -> None:
    """Serve in this process on a new event loop (uvloop per ``UVLOOP``) until stopped."""
    with asyncio.Runner(loop_factory=loop_factory(opts.settings.UVLOOP)) as runner:
        runner.run(serve(routes, opts, apis, on_ready))


async def serve(
    routes: list[Route], opts: ServeOptions, apis: Sequence[BoltAPI] = (), on_ready: OnReady | None = None
) -> None:
    """Run the APIs' start-up hooks, serve until SIGINT or SIGTERM, drain in-flight
    requests, then run the shutdown hooks."""
    routes, extra = prepare_django(routes, apis, opts.settings, opts.debug)
    install_pool_checks()  # a PostgreSQL restart then fails at most the queries in flight
    # The ORM pool first: start-up hooks and every request task inherit its context.
    async with orm_pool(orm_threads(opts.settings.ORM_THREADS)), lifespan(apis):
        await _serve_http(routes, opts, on_ready, apis, extra)


async def _serve_http(
    routes: list[Route],
    opts: ServeOptions,
    on_ready: OnReady | None,
    apis: Sequence[BoltAPI] = (),
    extra: dict[str, Any] | None = None,
) -> None:
    # The ORM thread the startup hooks used: requests' contexts are copies of this one.
    release_lane()
    lib = native.load()
    ffi = native.ffi
    cfg = server_config(routes, opts, apis, extra)
    handle = lib.bolt_new(ffi.from_buffer(cfg), len(cfg))
    if handle == 0:
        raise BoltConfigError(native.last_error(lib))
    loop = asyncio.get_running_loop()
    set_file_roots(file_roots_with_docs(opts.settings.FILE_RESPONSE_ROOTS, opts.settings.DOCS_ASSETS_DIR))
    dispatcher = Dispatcher(lib, handle, routes, loop, opts.debug)
    fd = lib.bolt_wake_fd(handle)
    # Latency: what is alive now (Django, the apps, the route table) lives as long as the
    # process. Frozen (after collecting start-up garbage), it is no longer walked by every
    # full collection, a pause of the loop thread that grew with it: ~25 ms for the
    # example project's 68k objects here (bench/RESULTS.md, issue 20).
    gc.collect()
    gc.freeze()
    try:
        port = lib.bolt_start(handle)
        if port < 0:
            raise BoltConfigError(native.last_error(lib))
        loop.add_reader(fd, dispatcher.drain)
        stop = asyncio.Event()
        # Installed explicitly: a process started in the background inherits SIGINT ignored.
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        host = f"[{opts.host}]" if ":" in opts.host else opts.host
        loop_name = type(loop).__module__.partition(".")[0]
        url = f"http://{host}:{port}"
        if opts.announce:
            docs = docs_path(apis)
            logger.info(logs.banner(url=url, workers=1, loop=loop_name, routes=len(routes), docs=docs, dev=opts.dev))
        else:
            logger.info("listening on %s (%s event loop)", url, loop_name)  # the banner is the supervisor's
        if on_ready is not None:
            on_ready(port, stop)
        await stop.wait()
        logger.info("Shutting down: draining %d in-flight request(s)", len(dispatcher.tasks))
        grace_ms = int(opts.settings.GRACEFUL_TIMEOUT * 1000)
        # bolt_stop blocks until requests finish, and they finish on this loop: run it in a
        # thread (cffi releases the GIL) while the loop keeps draining.
        stopping = loop.time()
        await loop.run_in_executor(None, lib.bolt_stop, handle, grace_ms)
        dispatcher.drain()
        dispatcher.flush()
        # BackgroundTasks get what is left of the same budget: the supervisor kills a worker
        # that outlives GRACEFUL_TIMEOUT (plus a margin).
        left = opts.settings.GRACEFUL_TIMEOUT - (loop.time() - stopping)
        await background.wait_running(max(0.0, left))
        logger.info("stopped")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        loop.remove_reader(fd)
        dispatcher.cancel_all()
        dispatcher.flush()
        lib.bolt_free(handle)
