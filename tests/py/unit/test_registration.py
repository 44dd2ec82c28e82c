"""Registration-time checks: everything wrong with a route fails at start-up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest

from django_bolt import BoltAPI, BoltConfigError, Request, Router, UploadFile
from django_bolt._server.discovery import collect_routes
from django_bolt.param_functions import File, Form


def test_plain_def_is_refused_with_the_fix() -> None:
    api = BoltAPI()
    with pytest.raises(BoltConfigError) as err:

        @api.get("/sync")
        def handler():  # noqa: ANN202
            return {}

    msg = str(err.value)
    assert "plain `def`" in msg
    assert "async def" in msg
    assert "sync_to_thread=True" in msg


def test_sync_to_thread_wraps_a_plain_def() -> None:
    api = BoltAPI()

    @api.get("/sync", sync_to_thread=True)
    def handler() -> dict[str, int]:
        return {"a": 1}

    import asyncio

    assert asyncio.run(api.routes[0].endpoint()) == {"a": 1}


def test_sync_to_thread_on_async_def_is_refused() -> None:
    api = BoltAPI()
    with pytest.raises(BoltConfigError, match="already `async def`"):

        @api.get("/x", sync_to_thread=True)
        async def handler() -> None: ...


class Body(msgspec.Struct):
    a: int


@pytest.mark.parametrize("method", ["get", "head", "delete", "options"])
def test_body_on_bodyless_method_is_refused(method: str) -> None:
    api = BoltAPI()
    with pytest.raises(BoltConfigError, match="cannot take a request body"):
        getattr(api, method)("/x")(_body_handler)


async def _body_handler(body: Body) -> None: ...


def test_path_param_without_argument_is_refused() -> None:
    api = BoltAPI()
    with pytest.raises(BoltConfigError, match=r"\['item_id'\] have no matching handler argument"):

        @api.get("/items/{item_id}")
        async def handler() -> None: ...


def test_non_scalar_on_get_is_a_body_and_refused() -> None:
    api = BoltAPI()
    with pytest.raises(BoltConfigError, match=r"GET handlers cannot take a request body \('x'\)"):

        @api.get("/x")
        async def handler(x: dict[str, int]) -> None: ...


def test_bad_paths_and_methods() -> None:
    api = BoltAPI()
    with pytest.raises(BoltConfigError, match="must start with '/'"):
        api.get("items")(_noop)
    with pytest.raises(BoltConfigError, match="unsupported method"):
        api.route("TRACE", "/x")(_noop)
    with pytest.raises(BoltConfigError, match="outside 200-599"):
        api.get("/x", status_code=700)(_noop)
    with pytest.raises(BoltConfigError, match="outside 200-599"):
        api.get("/x", status_code=101)(_noop)
    with pytest.raises(BoltConfigError, match="must start with '/'"):
        Router(prefix="v1")
    with pytest.raises(BoltConfigError, match="timeout must be a positive number"):
        api.get("/x", timeout=0)(_noop)


async def _noop() -> None: ...


def test_include_router_prefixes() -> None:
    api = BoltAPI(prefix="/api")
    users = Router(prefix="/users")
    users.get("/{user_id}")(_user)
    api.include_router(users, prefix="/v2")
    assert [(r.method, r.path) for r in api.routes] == [("GET", "/api/v2/users/{user_id}")]
    with pytest.raises(BoltConfigError, match="cannot contain path parameters"):
        api.include_router(users, prefix="/{x}")


async def _user(user_id: int) -> None: ...


def test_same_route_in_two_apis_is_refused() -> None:
    a, b = BoltAPI(), BoltAPI()
    a.get("/x")(_noop)
    b.get("/x")(_noop)
    with pytest.raises(BoltConfigError, match="GET /x is registered twice"):
        collect_routes([a, b])


def test_request_parameter_asks_go_for_headers() -> None:
    api = BoltAPI()

    async def with_request(request: Request) -> None: ...

    api.get("/a")(_noop)
    api.get("/b")(with_request)
    assert [r.flags for r in api.routes] == [0, 1]


def test_form_file_and_request_parameters_ask_go_to_parse_forms() -> None:
    api = BoltAPI()

    async def with_request(request: Request) -> None: ...

    async def with_form(name: str = Form()) -> None: ...

    async def with_file(f: UploadFile = File()) -> None: ...

    async def with_inferred_file(f: UploadFile) -> None: ...

    for i, handler in enumerate((with_request, with_form, with_file, with_inferred_file)):
        api.post(f"/p{i}")(handler)
    assert [r.flags for r in api.routes] == [5, 4, 4, 4]  # FlagHeaders (1) | FlagMultipart (4)
    assert api.routes[3].params[0].source == "file"


def test_file_parameter_types_are_checked_at_start_up() -> None:
    api = BoltAPI()

    async def bad(f: int = File()) -> None: ...

    async def on_get(f: bytes = File()) -> None: ...

    with pytest.raises(BoltConfigError, match="must be UploadFile, bytes or a list of them"):
        api.post("/bad")(bad)
    with pytest.raises(BoltConfigError, match="GET handlers cannot take uploaded files"):
        api.get("/get")(on_get)


def test_unresolvable_type_hint_is_a_clear_error() -> None:
    api = BoltAPI()

    async def handler(x: NotDefinedAnywhere) -> None: ...  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(BoltConfigError, match="cannot resolve its type hints"):
        api.get("/x")(handler)


def test_generator_handlers_need_a_streaming_response_class() -> None:
    from django_bolt.responses import HTML, EventSourceResponse

    api = BoltAPI()

    async def agen() -> AsyncIterator[int]:
        yield 1

    async def plain() -> None: ...

    with pytest.raises(BoltConfigError, match="needs response_class=StreamingResponse"):
        api.get("/a")(agen)
    with pytest.raises(BoltConfigError, match="must be a StreamingResponse class"):
        api.get("/b", response_class=HTML)(agen)
    with pytest.raises(BoltConfigError, match="is for generator handlers"):
        api.get("/c", response_class=EventSourceResponse)(plain)
    api.get("/d", response_class=EventSourceResponse)(agen)
