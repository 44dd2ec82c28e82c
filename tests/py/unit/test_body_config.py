"""What Python tells Go about request bodies (issue 15): per-route limits, routes whose
handler sees no body, JSON-only routes."""

from __future__ import annotations

import msgspec
import pytest

from django_bolt import BoltAPI, Request
from django_bolt._django.asgi import mount_routes
from django_bolt._server.serve import json_body_routes, route_body_limits
from django_bolt.exceptions import BoltConfigError
from django_bolt.param_functions import Form


class Item(msgspec.Struct):
    name: str


def test_body_limits_and_json_routes() -> None:
    api = BoltAPI()

    @api.post("/json")
    async def json_route(item: Item) -> dict[str, str]: ...

    @api.post("/lenient", strict_content_type=False, max_body_size=10_000_000)
    async def lenient(item: Item) -> dict[str, str]: ...

    @api.post("/none")
    async def no_body() -> dict[str, str]: ...

    @api.post("/form")
    async def form(name: str = Form()) -> dict[str, str]: ...

    @api.post("/raw")
    async def raw(request: Request) -> dict[str, str]: ...

    routes = [*api.routes, *mount_routes("/asgi", lambda *a: None)]
    assert route_body_limits(routes) == {"1": 10_000_000, "2": 0}  # the mount keeps the default
    assert json_body_routes(routes) == [0]


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10"])
def test_max_body_size_is_validated(bad: object) -> None:
    api = BoltAPI()
    with pytest.raises(BoltConfigError, match="max_body_size"):
        api.post("/x", max_body_size=bad)(_handler)


async def _handler() -> None: ...
