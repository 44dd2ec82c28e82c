"""FastAPI peer: the benchmark routes.

Run: uvicorn fastapi_app:app --loop uvloop --http httptools --workers 1 --no-access-log
"""

from fastapi import FastAPI, File, Header, UploadFile
from pydantic import BaseModel

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.get("/items/{item_id}")
async def get_item(item_id: int, q: str | None = None) -> dict[str, int | str | None]:
    return {"item_id": item_id, "q": q}


# ---- issue-3 routes. FastAPI has no msgspec support: /bench/struct takes the same
# Pydantic model as /bench/pydantic.


class LineItem(BaseModel):
    sku: str
    qty: int
    price: float


class Order(BaseModel):
    name: str
    email: str
    price: float
    tags: list[str]
    items: list[LineItem]


def order_reply(order: Order) -> dict[str, bool | int | float]:
    total = sum(line.qty * line.price for line in order.items)
    return {"ok": True, "items": len(order.items), "total": round(total, 2)}


@app.post("/bench/struct")
async def bench_struct(order: Order) -> dict[str, bool | int | float]:
    return order_reply(order)


@app.post("/bench/pydantic")
async def bench_pydantic(order: Order) -> dict[str, bool | int | float]:
    return order_reply(order)


# Built once: /bench/big measures encoding ~10 KB per request, not building the list. The
# bare `list` return annotation makes FastAPI encode with pydantic-core (dump_json) after a
# shallow list check, instead of walking the list with jsonable_encoder.
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


@app.get("/bench/big")
async def bench_big() -> list:
    return USERS


@app.get("/bench/params/{id}")
async def bench_params(
    id: int, q: str, limit: int = 10, x_token: str = Header()
) -> dict[str, int | str]:
    return {"id": id, "limit": limit, "q": q, "token": x_token}


@app.post("/bench/upload")
async def bench_upload(file: UploadFile = File()) -> dict[str, object]:
    return {"filename": file.filename, "size": len(await file.read())}


# ---- issue-17: the WebSocket echo of bench/ws_bench.py (uvicorn's `websockets` protocol).
from fastapi import WebSocket, WebSocketDisconnect  # noqa: E402


@app.websocket("/ws/echo")
async def ws_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


# ---- issue 20: SSE streams for bench/sseload (bench/sse_bench.py), with sse-starlette, the
# usual way to serve Server-Sent Events from FastAPI. The same events as ours and
# django-bolt's /bench/sse: one per `interval` seconds, its data the server's clock
# (time.time_ns()) at the moment the generator yields it; keep-alive pings at
# sse-starlette's default (15 s), as ours and django-bolt's.
import asyncio  # noqa: E402
import time  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402

from sse_starlette import EventSourceResponse  # noqa: E402


@app.get("/bench/sse")
async def bench_sse(interval: float = 1.0) -> EventSourceResponse:
    async def ticks() -> AsyncIterator[dict[str, str]]:
        while True:
            yield {"data": str(time.time_ns())}
            await asyncio.sleep(interval)

    return EventSourceResponse(ticks())
