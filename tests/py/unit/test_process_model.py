"""Worker settings, lifecycle hook order and the request counter, without the native library."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from django_bolt import BoltAPI, BoltConfigError
from django_bolt._server.lifespan import lifespan
from django_bolt._server.supervisor import check_address
from django_bolt._server.worker import count_requests
from django_bolt.conf import load_settings


def test_workers_and_uvloop_default_to_auto() -> None:
    s = load_settings({}, environ={})
    assert (s.WORKERS, s.UVLOOP) == (None, None)


def test_workers_and_uvloop_from_settings_and_environment() -> None:
    s = load_settings({"WORKERS": 4, "UVLOOP": True}, environ={})
    assert (s.WORKERS, s.UVLOOP) == (4, True)
    s = load_settings({"WORKERS": 4}, environ={"DJANGO_BOLT_WORKERS": "3", "DJANGO_BOLT_UVLOOP": "0"})
    assert (s.WORKERS, s.UVLOOP) == (3, False)


@pytest.mark.parametrize(
    ("raw", "env", "message"),
    [
        ({"WORKERS": 0}, {}, "WORKERS"),
        ({"WORKERS": True}, {}, "WORKERS"),
        ({"UVLOOP": "yes"}, {}, "UVLOOP"),
        ({}, {"DJANGO_BOLT_WORKERS": "many"}, "DJANGO_BOLT_WORKERS must be an integer"),
        ({}, {"DJANGO_BOLT_UVLOOP": "maybe"}, "DJANGO_BOLT_UVLOOP must be 1 or 0"),
    ],
)
def test_bad_worker_settings(raw: dict[str, object], env: dict[str, str], message: str) -> None:
    with pytest.raises(BoltConfigError, match=message):
        load_settings(raw, environ=env)


def _api_recording(log: list[str], name: str, fail_in: str = "") -> BoltAPI:
    def hook(event: str) -> object:
        def run() -> None:
            if event == fail_in:
                raise RuntimeError(f"{name} {event} broke")
            log.append(f"{name}:{event}")

        return run

    async def async_shutdown() -> None:
        log.append(f"{name}:shutdown")

    @asynccontextmanager
    async def span(api: BoltAPI) -> AsyncIterator[None]:
        if fail_in == "lifespan":
            raise RuntimeError(f"{name} lifespan broke")
        log.append(f"{name}:enter")
        yield
        log.append(f"{name}:exit")

    return BoltAPI(lifespan=span, on_startup=[hook("startup")], on_shutdown=[async_shutdown])


def test_hooks_run_in_order_and_shut_down_in_reverse() -> None:
    log: list[str] = []
    apis = [_api_recording(log, "a"), _api_recording(log, "b")]

    async def main() -> None:
        async with lifespan(apis):
            log.append("serving")

    asyncio.run(main())
    assert log == [
        "a:startup",
        "a:enter",
        "b:startup",
        "b:enter",
        "serving",
        "b:exit",
        "b:shutdown",
        "a:exit",
        "a:shutdown",
    ]


def test_a_failing_startup_names_the_hook_and_undoes_what_started() -> None:
    log: list[str] = []
    apis = [_api_recording(log, "a"), _api_recording(log, "b", fail_in="lifespan")]

    async def main() -> None:
        async with lifespan(apis):
            log.append("serving")  # pragma: no cover - never reached

    with pytest.raises(BoltConfigError, match="start-up hook .*span failed: RuntimeError"):
        asyncio.run(main())
    assert log == ["a:startup", "a:enter", "b:startup", "b:shutdown", "a:exit", "a:shutdown"]


def test_lifecycle_hooks_must_be_callable() -> None:
    with pytest.raises(BoltConfigError, match="must be callables"):
        BoltAPI(on_startup=["not callable"])  # type: ignore[list-item]


def test_count_requests_calls_back_once_at_the_limit() -> None:
    api = BoltAPI()

    @api.get("/a")
    async def a() -> dict[str, int]:
        return {"a": 1}

    hits: list[int] = []
    (route,) = count_requests(api.routes, 3, lambda: hits.append(1))
    for _ in range(5):
        coro = route.endpoint()
        with pytest.raises(StopIteration):
            coro.send(None)
    assert hits == [1]
    assert api.routes[0].endpoint is a  # the original routes are untouched


def test_check_address_resolves_port_0_and_refuses_a_busy_port() -> None:
    assert check_address("127.0.0.1", 0) > 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(BoltConfigError, match=f"cannot listen on 127.0.0.1:{port}: address already in use"):
            check_address("127.0.0.1", port)
