"""The benchmark routes for django-bolt (PyPI).

runbolt finds this module because it is `<ROOT_URLCONF package>.api` and holds a top-level
`api = BoltAPI(...)` assignment (found by parsing the source, not by importing it).
Request logging and compression are turned off: the other targets do neither.
"""

import msgspec
from django_bolt import BoltAPI, UploadFile
from django_bolt.param_functions import File, Header

from djbolt_bench.models import Member

api = BoltAPI(enable_logging=False, compression=False)


@api.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@api.get("/items/{item_id}")
async def get_item(item_id: int, q: str | None = None) -> dict[str, int | str | None]:
    return {"item_id": item_id, "q": q}


# ---- issue-3 routes. django-bolt 0.13.0 takes msgspec Structs and dataclasses as a body,
# not Pydantic models, so there is no /bench/pydantic here (run.py skips that path).


class LineItem(msgspec.Struct):
    sku: str
    qty: int
    price: float


class Order(msgspec.Struct):
    name: str
    email: str
    price: float
    tags: list[str]
    items: list[LineItem]


@api.post("/bench/struct")
async def bench_struct(order: Order) -> dict[str, bool | int | float]:
    total = sum(line.qty * line.price for line in order.items)
    return {"ok": True, "items": len(order.items), "total": round(total, 2)}


# Built once: /bench/big measures encoding ~10 KB per request, not building the list. A bare
# `list` return annotation is one django-bolt does not validate against (a parametrised one
# would run msgspec.convert over the 100 dicts first).
USERS = [
    {
        "id": i,
        "name": f"User Number {i:03d}",
        "email": f"user.number{i:03d}@example.com",
        "active": i % 3 != 0,
        "score": i + 0.25,
    }
    for i in range(100)
]


@api.get("/bench/big")
async def bench_big() -> list:
    return USERS


@api.get("/bench/params/{id}")
async def bench_params(
    id: int, q: str, limit: int = 10, x_token: str = Header()
) -> dict[str, int | str]:
    return {"id": id, "limit": limit, "q": q, "token": x_token}


# ---- issue-5 route: ten rows from the database (bench/run.py --db sqlite|postgresql).


class MemberOut(msgspec.Struct):
    id: int
    name: str
    email: str
    active: bool
    score: float


@api.get("/users")
async def users() -> list[MemberOut]:
    rows = Member.objects.order_by("id").values("id", "name", "email", "active", "score")[:10]
    return [row async for row in rows]


@api.post("/bench/upload")
async def bench_upload(file: UploadFile = File()) -> dict[str, object]:
    return {"filename": file.filename, "size": len(await file.read())}


# ---- issue-19 routes: django-bolt's ModelViewSet over the first ten members (list and
# retrieve), the same class ours serves at /vs/members.

from django_bolt import ModelViewSet  # noqa: E402
from django_bolt.serializers import Serializer  # noqa: E402


class MemberSchema(Serializer):
    id: int
    name: str
    email: str
    active: bool
    score: float


@api.viewset("/vs/members")
class MemberViewSet(ModelViewSet):
    queryset = Member.objects.filter(id__lte=10).order_by("id")
    serializer_class = MemberSchema


# ---- issue-17: the WebSocket echo of bench/ws_bench.py.
from django_bolt import WebSocket  # noqa: E402


@api.websocket("/ws/echo")
async def ws_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text)


# ---- issue 20: SSE streams for bench/sseload, the same handler as examples/demo/api.py's.
import asyncio  # noqa: E402
import time  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402

from django_bolt import EventSourceResponse  # noqa: E402


@api.get("/bench/sse", response_class=EventSourceResponse)
async def bench_sse(interval: float = 1.0) -> AsyncIterator[str]:
    """One event per `interval` seconds, its data the server's clock (time.time_ns()) at the
    moment the generator yields it (bench/sseload measures arrival minus data). django-bolt
    0.13 sends a yielded str as it is (its framing is for objects and ServerSentEvent), so
    the event is framed here, the cheapest form; its keep-alive pings keep their default
    (15 s), as ours."""
    while True:
        yield f"data: {time.time_ns()}\n\n"
        await asyncio.sleep(interval)
