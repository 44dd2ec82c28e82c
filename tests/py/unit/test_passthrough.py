"""Issue 18: which middleware pass the response through untouched (decided from their
bytecode at registration; tests/py/integration/test_pymiddleware.py checks the behaviour of
both kinds of chains)."""

from __future__ import annotations

import functools
from typing import Any

from django_bolt._routing.passthrough import passes_through
from django_bolt.middleware import BaseMiddleware, DjangoMiddleware, Middleware
from django_bolt.responses import JSON


class NoOp(Middleware):
    async def process_request(self, request: Any) -> Any:
        return await self.get_response(request)


class Gate(BaseMiddleware):
    exclude_paths = ["/open"]

    async def process_request(self, request: Any) -> Any:
        if request.headers.get("x-pass") != "1":
            return JSON({"detail": "no"}, status_code=403)
        request.state["passed"] = True
        return await self.get_response(request)


class ThroughLocal(Middleware):
    async def process_request(self, request: Any) -> Any:
        response = await self.get_response(request)
        return response


class Catches(Middleware):
    async def process_request(self, request: Any) -> Any:
        try:
            return await self.get_response(request)
        except ValueError:
            return JSON({"detail": "bad"}, status_code=400)


class Protocol:
    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    async def __call__(self, request: Any) -> Any:
        return await self.get_response(request)


class WithSettings(Middleware):
    def __init__(self, get_response: Any, flag: bool = True) -> None:
        super().__init__(get_response)
        self.flag = flag

    async def process_request(self, request: Any) -> Any:
        return await self.get_response(request)


async def fn_through(request: Any, call_next: Any) -> Any:
    request.state["fn"] = True
    return await call_next(request)


def test_middleware_that_only_return_the_rest_of_the_chain() -> None:
    for entry in (NoOp, Gate, ThroughLocal, Catches, Protocol, WithSettings, fn_through):
        assert passes_through(entry), entry


class Stamps(Middleware):
    async def process_request(self, request: Any) -> Any:
        response = await self.get_response(request)
        response.headers["X-Stamp"] = "1"
        return response


class Keeps(Middleware):
    async def process_request(self, request: Any) -> Any:
        self.last = await self.get_response(request)
        return self.last


class Aliases(Middleware):
    async def process_request(self, request: Any) -> Any:
        rest = self.get_response
        return await rest(request)


class Wraps(Middleware):
    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        self.get_response = _logged(get_response)

    async def process_request(self, request: Any) -> Any:
        return await self.get_response(request)


class Inner(Middleware):
    async def process_request(self, request: Any) -> Any:
        async def run() -> Any:
            return await self.get_response(request)

        return await run()


class NamedLink(Middleware):
    get_response: Any = None  # a class attribute of that name: not followed

    async def process_request(self, request: Any) -> Any:
        return await self.get_response(request)


async def fn_stamps(request: Any, call_next: Any) -> Any:
    response = await call_next(request)
    response.headers["X-Fn"] = "1"
    return response


def _logged(link: Any) -> Any:
    async def call(request: Any) -> Any:
        return await link(request)

    return call


def test_middleware_that_read_keep_or_wrap_the_response() -> None:
    django = DjangoMiddleware("django.middleware.common.CommonMiddleware")
    for entry in (Stamps, Keeps, Aliases, Wraps, Inner, NamedLink, fn_stamps, django):
        assert not passes_through(entry), entry


def _adds_header(method: Any) -> Any:
    @functools.wraps(method)
    async def wrapper(self: Any, request: Any) -> Any:
        response = await method(self, request)
        response.headers["X-Deco"] = "1"
        return response

    return wrapper


class Decorated(Middleware):
    @_adds_header
    async def process_request(self, request: Any) -> Any:
        return await self.get_response(request)


def test_a_decorated_process_request_is_read_as_written_not_unwrapped() -> None:
    assert not passes_through(Decorated)
