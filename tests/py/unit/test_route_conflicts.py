"""Two routes that cannot both be served are a start-up error naming both handlers."""

from __future__ import annotations

import pytest

from django_bolt import BoltAPI
from django_bolt._server.discovery import collect_routes
from django_bolt.exceptions import BoltConfigError


async def first(id: int = 0, item_id: int = 0, rest: str = "") -> None: ...


async def second(id: int = 0, item_id: int = 0, rest: str = "") -> None: ...


@pytest.mark.parametrize(
    ("a", "b", "problem"),
    [
        ("/d", "/d", "GET /d is registered twice"),
        ("/items/{id}", "/items/{item_id}", "take different parameters ({id} and {item_id})"),
        ("/items/{id}", "/items/{id:int}", "take different parameters ({id} and {id:int})"),
        ("/items/{id}/x", "/items/{item_id}/y", "take different parameters"),
        ("/a", "/a/", "differ only by a trailing slash"),
        ("/f/{rest:path}", "/f/{id:path}", "take different parameters"),
    ],
)
def test_conflicting_routes_name_both_handlers(a: str, b: str, problem: str) -> None:
    # "keep": the default "strip" would already fold "/a/" into "/a" (a plain duplicate).
    api = BoltAPI(trailing_slash="keep")
    api.get(a)(first)
    api.get(b)(second)
    with pytest.raises(BoltConfigError) as err:
        collect_routes([api])
    message = str(err.value)
    assert problem in message
    assert f"{__name__}.first" in message and f"{__name__}.second" in message


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("/items/{id}", "/items/new"),  # the static segment wins for its path
        ("/items/{id}", "/items/{id}/parts"),
        ("/f/{rest:path}", "/f/{id}"),
        ("/items/{id}", "/other/{item_id}"),
    ],
)
def test_routes_that_can_both_be_served_are_accepted(a: str, b: str) -> None:
    api = BoltAPI()
    api.get(a)(first)
    api.get(b)(second)
    assert len(collect_routes([api])) == 2


def test_other_methods_may_name_the_parameter_differently() -> None:
    api = BoltAPI()
    api.get("/items/{id}")(first)
    api.delete("/items/{item_id}")(second)
    assert len(collect_routes([api])) == 2
