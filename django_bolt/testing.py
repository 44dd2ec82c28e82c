"""Testing helpers: clients that go through the real Go router, middleware and bridge.

``TestClient(api)`` is an ``httpx.Client`` (``get``, ``post(json=...)``, ``headers=``...) whose
requests are served in-process by libbolt on an in-memory connection: no port, but the same
parsing, routing, limits and handler dispatch as ``runbolt``. ``AsyncTestClient`` is the
``httpx.AsyncClient`` equivalent. Both run the APIs' lifespan hooks and stop on ``close()``
(or at the end of a ``with`` block). ``LiveServer`` runs a real ``manage.py runbolt`` process
on a free port instead.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import types
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from ._django.prepare import prepare as prepare_django
from ._native import library as native
from ._native.wire import FLAG_ASGI
from ._routing.route import Route
from ._runtime.dispatch import Dispatcher
from ._runtime.encoding import set_file_roots
from ._server.discovery import collect_routes
from ._server.lifespan import lifespan
from ._server.serve import ServeOptions, server_config
from .api import BoltAPI
from .conf import BoltSettings, load_settings
from .exceptions import BoltConfigError, HTTPException, RequestValidationError
from .openapi.serving import file_roots_with_docs
from .websocket.testing import ConnectionClosed, WebSocketTestClient

__all__ = ["AsyncTestClient", "ConnectionClosed", "LiveServer", "TestClient", "WebSocketTestClient"]


class _InProcessServer:
    """libbolt serving ``apis`` on an in-memory listener, its Python loop in a thread."""

    def __init__(
        self,
        apis: Sequence[BoltAPI],
        settings: BoltSettings | None,
        debug: bool,
        raise_server_exceptions: bool = False,
        cors_allowed_origins: Sequence[str] | None = None,
    ) -> None:
        self.apis = list(apis)
        self.settings = settings or load_settings({}, environ={})
        routes = collect_routes(self.apis, self.settings.READY_PATH)
        opts = ServeOptions(host="127.0.0.1", port=0, backlog=16, settings=self.settings, debug=debug)
        # As under runbolt: sessions, django_middleware, mounted apps, the Django fallback.
        routes, extra = prepare_django(routes, self.apis, self.settings, debug)
        #: unhandled handler exceptions, re-raised in the test by the transports
        self.raised: list[BaseException] = []
        if raise_server_exceptions:
            routes = [_recording(r, self.raised) for r in routes]
        if cors_allowed_origins is not None:  # django-bolt's TestClient keyword: a global policy
            extra = {**extra, "cors": {"allowed_origins": list(cors_allowed_origins)}}
        self.lib = native.load()
        cfg = server_config(routes, opts, self.apis, extra)
        self.handle = self.lib.bolt_new(native.ffi.from_buffer(cfg), len(cfg))
        if self.handle == 0:
            raise BoltConfigError(native.last_error(self.lib))
        self.loop = asyncio.new_event_loop()
        set_file_roots(file_roots_with_docs(self.settings.FILE_RESPONSE_ROOTS, self.settings.DOCS_ASSETS_DIR))
        self.dispatcher = Dispatcher(self.lib, self.handle, routes, self.loop, debug)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stopped = False
        self.lib.bolt_start_inmemory(self.handle)
        self._thread = threading.Thread(target=self._run, name="bolt-test-loop", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._release()
            raise self._error

    def _run(self) -> None:
        loop = self.loop
        asyncio.set_event_loop(loop)
        hooks = lifespan(self.apis)
        try:
            loop.run_until_complete(hooks.__aenter__())
        except BaseException as exc:  # reported to the thread that created the client
            self._error = exc
            self._ready.set()
            return
        fd = self.lib.bolt_wake_fd(self.handle)
        loop.add_reader(fd, self.dispatcher.drain)
        self._ready.set()
        loop.run_forever()
        loop.remove_reader(fd)
        self.dispatcher.cancel_all()
        self.dispatcher.flush()
        loop.run_until_complete(hooks.__aexit__(None, None, None))

    def roundtrip(self, raw: bytes) -> bytes:
        """Send raw HTTP/1.1 bytes, get raw response bytes (blocks; GIL released in Go)."""
        if self._stopped:
            raise RuntimeError("the test client is closed")
        out = native.ffi.new("uint8_t **")
        n = self.lib.bolt_roundtrip(self.handle, native.ffi.from_buffer(raw), len(raw), out)
        if n < 0:
            raise httpx.TransportError(native.last_error(self.lib))
        try:
            return bytes(native.ffi.buffer(out[0], n))
        finally:
            self.lib.bolt_buffer_free(out[0])

    def close(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        # bolt_stop waits for in-flight requests, which finish on the loop thread.
        self.lib.bolt_stop(self.handle, int(self.settings.GRACEFUL_TIMEOUT * 1000))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self._release()

    def _release(self) -> None:
        self.loop.close()
        self.lib.bolt_free(self.handle)


def _serialise(request: httpx.Request) -> bytes:
    body = request.read()
    lines = [b"%s %s HTTP/1.1" % (request.method.encode(), request.url.raw_path)]
    for name, value in request.headers.raw:
        if name.lower() not in (b"content-length", b"transfer-encoding", b"connection"):
            lines.append(name + b": " + value)
    if body or request.method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
        lines.append(b"Content-Length: %d" % len(body))
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _parse(raw: bytes, request: httpx.Request) -> httpx.Response:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.split(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    headers = []
    for line in header_lines:
        name, _, value = line.partition(b":")
        headers.append((name.strip(), value.strip()))
    return httpx.Response(status, headers=headers, content=body, request=request)


class _Transport(httpx.BaseTransport):
    def __init__(self, server: _InProcessServer) -> None:
        self.server = server

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = _parse(self.server.roundtrip(_serialise(request)), request)
        if self.server.raised:
            raise self.server.raised.pop(0)
        return response


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, server: _InProcessServer) -> None:
        self.server = server

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raw = _serialise(request)
        loop = asyncio.get_running_loop()
        response = _parse(await loop.run_in_executor(None, self.server.roundtrip, raw), request)
        if self.server.raised:
            raise self.server.raised.pop(0)
        return response


def _recording(route: Route, sink: list[BaseException]) -> Route:
    """``route`` with its unhandled exceptions also kept in ``sink`` (raise_server_exceptions):
    the server still answers 500; the test then sees the exception itself."""
    if route.flags & FLAG_ASGI:
        return route
    endpoint, handlers = route.endpoint, route.exception_handlers

    async def call(**kwargs: Any) -> Any:
        try:
            return await endpoint(**kwargs)
        except (HTTPException, RequestValidationError):
            raise
        except Exception as exc:
            if not any(isinstance(exc, t) for t in handlers):
                sink.append(exc)
            raise

    return replace(route, endpoint=call)


def _server_for(
    api: BoltAPI | Sequence[BoltAPI],
    settings: dict[str, Any] | None,
    debug: bool,
    raise_server_exceptions: bool = False,
    cors_allowed_origins: Sequence[str] | None = None,
) -> _InProcessServer:
    apis = [api] if isinstance(api, BoltAPI) else list(api)
    # No access log unless asked for: test output is not the place for it.
    conf = load_settings({"ACCESS_LOG": False, **(settings or {})}, environ={})
    return _InProcessServer(apis, conf, debug, raise_server_exceptions, cors_allowed_origins)


class _StreamingMixin:
    """django-bolt's ``client.get(url, stream=True)``: the response body is read as it
    arrives, with ``iter_content``/``iter_lines`` (httpx's ``iter_bytes``/``iter_lines``)."""

    def request(self, method: str, url: Any, *, stream: bool = False, **kwargs: Any) -> httpx.Response:
        if not stream:
            return super().request(method, url, **kwargs)  # type: ignore[misc,no-any-return]
        client: httpx.Client = self  # type: ignore[assignment]
        response = client.send(client.build_request(method, url, **kwargs), stream=True)
        response.iter_content = response.iter_bytes  # type: ignore[attr-defined]
        return response

    def get(self, url: Any, *, stream: bool = False, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, stream=stream, **kwargs)

    def post(self, url: Any, *, stream: bool = False, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, stream=stream, **kwargs)


class TestClient(_StreamingMixin, httpx.Client):
    """A synchronous httpx client for ``api`` (or a list of APIs), served in-process by Go.

    django-bolt's keywords: ``raise_server_exceptions`` (default True: an unhandled handler
    exception is raised in the test after the server answered 500), ``cors_allowed_origins``
    (a global CORS policy for this client), ``get(url, stream=True)``;
    ``read_django_settings``, ``use_http_layer`` and ``static_files_config`` are accepted
    and ignored (Django settings are always read; the HTTP layer is always Go's)."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        api: BoltAPI | Sequence[BoltAPI],
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        cors_allowed_origins: Sequence[str] | None = None,
        read_django_settings: bool = True,
        use_http_layer: bool = True,
        static_files_config: dict[str, Any] | None = None,
        *,
        settings: dict[str, Any] | None = None,
        debug: bool = False,
        **kwargs: Any,
    ) -> None:
        self._server = _server_for(api, settings, debug, raise_server_exceptions, cors_allowed_origins)
        super().__init__(transport=_Transport(self._server), base_url=base_url, **kwargs)

    def close(self) -> None:
        super().close()
        self._server.close()


class AsyncTestClient(httpx.AsyncClient):
    """The ``httpx.AsyncClient`` counterpart of TestClient (``async with AsyncTestClient(api)``)."""

    __test__ = False

    def __init__(
        self,
        api: BoltAPI | Sequence[BoltAPI],
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        cors_allowed_origins: Sequence[str] | None = None,
        read_django_settings: bool = True,
        static_files_config: dict[str, Any] | None = None,
        *,
        settings: dict[str, Any] | None = None,
        debug: bool = False,
        **kwargs: Any,
    ) -> None:
        self._server = _server_for(api, settings, debug, raise_server_exceptions, cors_allowed_origins)
        super().__init__(transport=_AsyncTransport(self._server), base_url=base_url, **kwargs)

    async def aclose(self) -> None:
        await super().aclose()
        await asyncio.get_running_loop().run_in_executor(None, self._server.close)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """A real ``manage.py runbolt`` subprocess on a free loopback port.

    ``with LiveServer("path/to/project") as server: httpx.get(server.url + "/hello")``.
    Output goes to ``log_path`` (``server.log()`` reads it).
    """

    def __init__(
        self,
        project: str | os.PathLike[str],
        *args: str,
        log_path: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None,
        python: str = sys.executable,
        port: int | None = None,
    ) -> None:
        self.project = Path(project)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path) if log_path else self.project / f".runbolt-{self.port}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        cmd = [python, "manage.py", "runbolt", "--host", "127.0.0.1", "--port", str(self.port), *args]
        self.proc = subprocess.Popen(
            cmd, cwd=self.project, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )

    def wait_ready(self, timeout: float = 30) -> LiveServer:
        """Wait until the port accepts connections (raises if the process exits first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"runbolt exited with {self.proc.returncode}:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"runbolt did not listen within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, wait (SIGKILL after ``timeout``), return the exit code."""
        if self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def __enter__(self) -> LiveServer:
        return self.wait_ready()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


def create_test_client(
    api: BoltAPI | Sequence[BoltAPI],
    base_url: str = "http://testserver",
    raise_server_exceptions: bool = True,
    bootstrap_django: bool = True,
    **kwargs: Any,
) -> TestClient:
    """django-bolt's helper (``django_bolt.testing.helpers.create_test_client``): a
    TestClient for ``api``. ``bootstrap_django`` is accepted; Django is set up by the test
    runner here (pytest-django or ``django.setup()``)."""
    return TestClient(api, base_url=base_url, raise_server_exceptions=raise_server_exceptions, **kwargs)


# django-bolt has a ``django_bolt.testing.helpers`` module; this module is not a package, so
# the name is registered directly (the import system finds it in sys.modules after importing
# this parent module).
helpers = types.ModuleType(f"{__name__}.helpers", "django-bolt's testing helpers: create_test_client.")
helpers.create_test_client = create_test_client  # type: ignore[attr-defined]
sys.modules[helpers.__name__] = helpers
