"""Routes that cannot both be served are a start-up error naming both handlers.

Go's router (fasthttp/router) keeps one tree per method. Two registrations it cannot tell
apart, or one that would take requests meant for another, fail there with a message about
tree nodes that names no handler. They are found here first, with both handlers named:

- the same method and path twice (``@api.get("/d")`` on two functions);
- the same method and path up to a trailing slash (``/a`` and ``/a/``: the router answers
  one with a redirect to the other, so one handler would never run);
- two parameters in the same place after the same static prefix, differing in name or
  converter (``/items/{id}`` and ``/items/{item_id}`` or ``/items/{id:int}``): a request
  for ``/items/7`` could be either.

A static segment beside a parameter (``/items/new`` and ``/items/{id}``) is fine: the static
one wins for its exact path, as in FastAPI and fasthttp/router.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..exceptions import BoltConfigError
from .route import Route

_PARAM = re.compile(r"\{[^{}]*\}")


def check_conflicts(routes: Iterable[Route]) -> None:
    """Raise BoltConfigError for the first pair of routes that cannot both be served."""
    exact: dict[tuple[str, str], Route] = {}
    slashless: dict[tuple[str, str], Route] = {}
    params: dict[tuple[str, str], tuple[str, Route]] = {}
    for route in routes:
        key = (route.method, route.path)
        if key in exact:
            raise _conflict(exact[key], route, "is registered twice")
        exact[key] = route
        bare = (route.method, route.path.rstrip("/") or "/")
        if bare in slashless:
            raise _conflict(slashless[bare], route, "differ only by a trailing slash; one would never run")
        slashless[bare] = route
        segments = route.path.split("/")
        for i, segment in enumerate(segments):
            if not _PARAM.search(segment):
                continue
            catch_all = segment.endswith(":path}")
            where = (route.method, "/".join(segments[:i]) + ("/**" if catch_all else "/*"))
            seen = params.get(where)
            if seen is None:
                params[where] = (segment, route)
            elif seen[0] != segment:
                raise _conflict(
                    seen[1],
                    route,
                    f"take different parameters ({seen[0]} and {segment}) in the same place; "
                    "a request could match either: use one name and converter",
                )


def _conflict(first: Route, second: Route, problem: str) -> BoltConfigError:
    if first.path == second.path:
        what = f"{second.method} {second.path} {problem}"
    else:
        what = f"{first.method} {first.path} and {second.method} {second.path} {problem}"
    return BoltConfigError(f"{what}: handlers {_name(first)} and {_name(second)}")


def _name(route: Route) -> str:
    handler = route.handler
    return f"{handler.__module__}.{handler.__qualname__}"
