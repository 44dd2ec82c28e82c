"""Issue 18, part B, through a real runbolt (tests/py/e2e/test_dropin_b.py): the raw
QUERY_STRING, request.user read outside the handler on auth routes, typed streams with
Last-Event-ID, and the Python middleware chain's calling conventions."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from pydantic import BaseModel

from django_bolt import BoltAPI, Depends, Header, Request
from django_bolt.auth import JWTAuthentication, SessionAuthentication
from django_bolt.exceptions import HTTPException
from django_bolt.middleware import Middleware, middleware
from django_bolt.responses import JSON, Response, ServerSentEvent
from django_bolt.streams import JSONL, SSE, LastEventID

from . import dropin_b_helpers

api = BoltAPI(prefix="/b")
BACKENDS = [JWTAuthentication(), SessionAuthentication()]


# ---- request.META["QUERY_STRING"] -----------------------------------------------------


@api.get("/qs")
async def query_string(request: Request) -> dict[str, Any]:
    return {"raw": request.META["QUERY_STRING"], "query": request.query, "full": request.get_full_path()}


class Stamp(Middleware):
    async def process_request(self, request: Request) -> Response:
        response = await self.get_response(request)
        response.headers["X-Stamp"] = request.META["QUERY_STRING"]
        return response


@api.get("/qs-mw")
@middleware(Stamp)
async def query_string_in_a_chain(a: str | None = None) -> dict[str, Any]:
    return {"a": a}


# ---- request.user where the handler does not read it -------------------------------------


def _name(user: Any) -> str | None:
    return None if user is None else user.get_username()


async def current_name(request: Request) -> str | None:
    return _name(request.user)  # a dependency reading request.user


@api.get("/user/dep", auth=BACKENDS)
async def user_in_dependency(name: Annotated[str | None, Depends(current_name)]) -> dict[str, Any]:
    return {"username": name}


@api.get("/user/helper", auth=BACKENDS)
async def user_in_helper(request: Request) -> dict[str, Any]:
    return {"username": dropin_b_helpers.owner_name(request)}  # a helper in another module


@api.get("/user/nested-dep", auth=BACKENDS)
async def user_in_nested_dependency(
    greeting: Annotated[str, Depends(dropin_b_helpers.greeting)],
) -> dict[str, Any]:
    return {"greeting": greeting}


@api.get("/user/none", auth=BACKENDS)
async def user_not_read(request: Request) -> dict[str, Any]:
    return {"loaded": request.has_user()}  # nothing reads the user: nothing is loaded


# ---- typed streams ----------------------------------------------------------------------


class Tick(msgspec.Struct):
    n: int
    label: str = "tick"


@api.get("/ticks")
async def ticks(last_event_id: LastEventID = None, count: int = 3) -> SSE[Tick]:
    start = int(last_event_id) + 1 if last_event_id else 0
    for n in range(start, start + count):
        yield ServerSentEvent(data={"n": n}, id=n, event="tick")


@api.get("/ticks/typed-id")
async def ticks_typed_id(
    last: Annotated[int | None, Header(None, alias="Last-Event-ID")] = None,
) -> SSE[Tick]:
    start = 0 if last is None else last + 1
    yield Tick(n=start)


@api.get("/rows")
async def rows(count: int = 3) -> JSONL[Tick]:
    for n in range(count):
        yield Tick(n=n, label=f"row {n}")


@api.get("/rows/returned")
async def rows_returned() -> JSONL[Tick]:
    return [{"n": 1}, {"n": 2, "label": "two"}]


@api.get("/rows/bad")
async def rows_bad() -> JSONL[Tick]:
    yield {"n": 1}
    yield {"n": "not a number"}
    yield {"n": 3}


@api.get("/rows/refused")
async def rows_refused(ok: bool = False) -> JSONL[Tick]:
    if not ok:
        return JSON({"detail": "no rows for you"}, status_code=403)
    return iter([{"n": 1}])


@api.get("/rows/guarded")
async def rows_guarded(key: str = "") -> JSONL[Tick]:
    if key != "open":
        raise HTTPException(403, "no rows for you")  # before the first item: a real 403
    yield {"n": 1}


@api.get("/rows/bad-first")
async def rows_bad_first() -> JSONL[Tick]:
    yield {"n": "one"}


@api.get("/ticks/none")
async def ticks_none() -> SSE[Tick]:
    if False:
        yield Tick(n=0)


class Price(BaseModel):
    symbol: str
    cents: int


@api.get("/prices")
async def prices() -> JSONL[Price]:
    yield Price(symbol="ABC", cents=100)
    yield {"symbol": "XYZ", "cents": "250"}  # lax Pydantic: "250" -> 250
    yield {"symbol": "BAD"}  # missing cents: the stream ends here


def sync_rows() -> Any:
    yield {"n": 7}


@api.get("/rows/sync")
def rows_sync() -> JSONL[Tick]:
    yield from sync_rows()


# ---- the chain's calling conventions ------------------------------------------------------


class OddName(Middleware):
    async def process_request(self, req: Request) -> Response:  # not called "request"
        response = await self.get_response(req)
        response.headers["X-Odd"] = "1"
        return response.set_cookie("seen", "1")


class Positional:
    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    async def __call__(self, request: Request, /) -> Response:  # positional-only
        response = await self.get_response(request)
        response.status_code = 202
        return response


class Rewrap(Middleware):
    async def process_request(self, request: Request) -> Response:
        response = await self.get_response(request)
        response.content = {"wrapped": response.content}
        return response


@api.get("/chain/{n}")
@middleware(OddName, Positional)
async def chain(n: int) -> dict[str, Any]:
    return {"n": n}


@api.get("/chain-content")
@middleware(Rewrap)
async def chain_content() -> list[int]:
    return [1, 2]
