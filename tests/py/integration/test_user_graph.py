"""Issue 18: which auth routes load ``request.user`` before the handler (decided at
registration from the route's graph; no socket needed, so no server). The behaviour through
a real runbolt, JWT and session, is tests/py/e2e/test_dropin_b.py."""

from __future__ import annotations

from typing import Annotated, Any

from django_bolt import BoltAPI, Depends, Request
from django_bolt.auth import JWTAuthentication
from django_bolt.auth._route import graph_reads_user

from . import user_graph_helpers as helpers

SECRET = "user-graph-tests-secret-" + "s" * 32
AUTH = [JWTAuthentication(secret=SECRET)]


def _route(handler: Any) -> Any:
    api = BoltAPI()
    return api.add_route("GET", "/x", handler, auth=AUTH)


def _loads(handler: Any) -> bool:
    """Whether the route's endpoint loads the user before the handler."""
    route = _route(handler)
    return graph_reads_user(route) and "_with_user" in route.endpoint.__qualname__


async def reads_in_dependency(request: Request) -> Any:
    return request.user


async def reads_by_name(request: Request) -> Any:
    return getattr(request, "user")  # noqa: B009 - the string form is what this test pins


async def context_only(request: Request) -> Any:
    return request.context.get("user_id")


def helper_reading(request: Request) -> Any:
    return request.user


class Service:
    def __init__(self, request: Request) -> None:
        self.request = request

    def owner(self) -> Any:
        return self.request.user


def test_a_dependency_that_reads_the_user() -> None:
    async def handler(who: Annotated[Any, Depends(reads_in_dependency)]) -> dict[str, Any]:
        return {}

    assert _loads(handler)


async def outer(inner: Annotated[Any, Depends(reads_by_name)]) -> Any:
    return inner


def test_a_nested_dependency_and_getattr_by_name() -> None:
    async def handler(x: Annotated[Any, Depends(outer)]) -> dict[str, Any]:
        return {}

    assert _loads(handler)


def test_a_helper_function_a_class_and_a_module_attribute() -> None:
    async def via_helper(request: Request) -> Any:
        return helper_reading(request)

    async def via_class(request: Request) -> Any:
        return Service(request).owner()

    async def via_module(request: Request) -> Any:
        return helpers.name_of(request)

    assert _loads(via_helper) and _loads(via_class) and _loads(via_module)


def test_nothing_reads_it_nothing_is_loaded() -> None:
    async def handler(request: Request, ctx: Annotated[Any, Depends(context_only)]) -> Any:
        return helpers.unrelated(request)

    route = _route(handler)
    assert not graph_reads_user(route) and "_with_user" not in route.endpoint.__qualname__


def test_library_code_is_not_followed() -> None:
    async def handler(request: Request) -> Any:
        return await request.auser()  # django_bolt's own loader: awaited, nothing to preload

    assert not graph_reads_user(_route(handler))


def test_recursive_helpers_terminate() -> None:
    assert helpers.ping(0) == 0
    assert not graph_reads_user(_route(helpers.recursive_handler))


class Article:
    def author_name(self) -> Any:
        return self.user  # type: ignore[attr-defined]


def test_a_class_named_for_another_reason_does_not_bring_its_methods() -> None:
    async def handler(request: Request) -> Any:
        return Article.__name__

    async def calls_it(request: Request) -> Any:
        return Article().author_name()

    assert not graph_reads_user(_route(handler)) and graph_reads_user(_route(calls_it))
