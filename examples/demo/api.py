"""The example API: found by `runbolt` because `demo` is in INSTALLED_APPS."""

import asyncio
import os
import time
from collections.abc import AsyncIterator

import msgspec
from pydantic import BaseModel

from django_bolt import BoltAPI, HTTPException, ModelViewSet, UploadFile, WebSocket
from django_bolt.auth import IsAuthenticated, JWTAuthentication
from django_bolt.param_functions import File, Header
from django_bolt.responses import EventSourceResponse

from .models import Member

api = BoltAPI()


@api.get("/hello")
async def hello():
    return {"message": "Hello, World!"}


@api.get("/items/{item_id}")
async def get_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


class Item(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


@api.post("/items", status_code=201)
async def create_item(item: Item):
    return item


@api.get("/slow")
async def slow(seconds: float = 0.1):
    if not 0 <= seconds <= 10:
        raise HTTPException(400, "seconds must be between 0 and 10")
    await asyncio.sleep(seconds)
    return {"slept": seconds}


# ---- benchmark routes (bench/run.py, issue 3); the peers in bench/peers/ serve the same


class BenchLine(msgspec.Struct):
    sku: str
    qty: int
    price: float


class BenchOrder(msgspec.Struct):
    name: str
    email: str
    price: float
    tags: list[str]
    items: list[BenchLine]


class BenchLineModel(BaseModel):
    sku: str
    qty: int
    price: float


class BenchOrderModel(BaseModel):
    name: str
    email: str
    price: float
    tags: list[str]
    items: list[BenchLineModel]


@api.post("/bench/struct")
async def bench_struct(order: BenchOrder):
    total = sum(line.qty * line.price for line in order.items)
    return {"ok": True, "items": len(order.items), "total": round(total, 2)}


@api.post("/bench/pydantic")
async def bench_pydantic(order: BenchOrderModel):
    total = sum(line.qty * line.price for line in order.items)
    return {"ok": True, "items": len(order.items), "total": round(total, 2)}


# Built once: /bench/big measures encoding ~10 KB per request, not building the list.
BENCH_USERS = [
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
    return BENCH_USERS


@api.get("/bench/sse")
async def bench_sse(interval: float = 1.0, ping: float = 15.0) -> EventSourceResponse:
    """One event per `interval` seconds, its data the server's clock (time.time_ns()) at the
    moment the generator yields it: bench/sseload subtracts it from its arrival time. `ping`
    is the keep-alive comment interval (the default's 15 s; 0: none)."""

    async def ticks() -> AsyncIterator[str]:
        while True:
            yield str(time.time_ns())
            await asyncio.sleep(interval)

    return EventSourceResponse(ticks(), ping_interval=ping or None)


@api.get("/bench/params/{id}")
async def bench_params(id: int, q: str, limit: int = 10, x_token: str = Header()):
    return {"id": id, "limit": limit, "q": q, "token": x_token}


class MemberOut(msgspec.Struct):
    id: int
    name: str
    email: str
    active: bool
    score: float


@api.get("/users", response_model=list[MemberOut])
async def users():
    """The first ten members: the QuerySet is evaluated off the event loop, fetching only
    MemberOut's columns (``.values("id", "name", ...)``)."""
    return Member.objects.order_by("id")[:10]


@api.post("/bench/upload")
async def bench_upload(file: UploadFile = File()):
    """The 1 MiB multipart upload of bench/run.py (parsed and spooled by Go)."""
    return {"filename": file.filename, "size": len(await file.read())}


# ---- bench/run.py --section middleware (issue 4): /hello behind a JWT checked in Go. The
# secret is for the benchmark only; run.py signs its token with the same one.
BENCH_JWT_SECRET = os.environ.get("BENCH_JWT_SECRET", "bench-only-jwt-secret-not-for-real-use-0123456789")


@api.get("/bench/jwt-hello", auth=[JWTAuthentication(secret=BENCH_JWT_SECRET)], guards=[IsAuthenticated()])
async def bench_jwt_hello():
    return {"message": "Hello, World!"}


# ---- bench/run.py --paths vs-list,vs-retrieve,fn-list (issue 19): a ModelViewSet over the
# first ten members, and the function route that lists the same rows.


@api.viewset("/vs/members")
class MemberViewSet(ModelViewSet):
    queryset = Member.objects.filter(id__lte=10).order_by("id")
    serializer_class = MemberOut


@api.get("/fn/members")
async def fn_members() -> list[MemberOut]:
    return Member.objects.filter(id__lte=10).order_by("id")  # type: ignore[return-value]


# ---- WebSockets (docs/websockets.md) ---------------------------------------------------------


@api.websocket("/ws/echo")
async def ws_echo(websocket: WebSocket) -> None:
    """Echoes text as text and binary as binary."""
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if "text" in message:
            await websocket.send_text(message["text"])
        else:
            await websocket.send_bytes(message["bytes"])


@api.websocket("/ws/chat/{room}")
async def ws_chat(websocket: WebSocket, room: str, name: str = "guest") -> None:
    """A chat room: every message goes to everyone in the room, fanned out by Go."""
    await websocket.accept()
    group = f"chat:{room}"
    await websocket.join(group)
    await websocket.broadcast(group, {"event": "joined", "name": name})
    async for text in websocket.iter_text():
        await websocket.broadcast(group, {"name": name, "text": text})
    await websocket.broadcast(group, {"event": "left", "name": name})


@api.websocket("/ws/bench/group")
async def ws_bench_group(websocket: WebSocket) -> None:
    """bench/ws_bench.py's broadcast: every member joins one group; what one sends, all get."""
    await websocket.accept()
    await websocket.join("bench")
    async for text in websocket.iter_text():
        await websocket.broadcast("bench", text)
