"""Routes that the e2e tests call through a real runbolt server."""

import asyncio
import gc
import os
import uuid
from pathlib import Path

import msgspec
from django.conf import settings
from testproject.observe_api import api as observe_api  # noqa: F401  (served too: see observe_api)
from testproject.observe_api import gzip_api, off_api  # noqa: F401

from django_bolt import BoltAPI, HTTPException, Request, Router
from django_bolt.middleware import cors

api = BoltAPI()


@api.get("/hello")
async def hello():
    return {"message": "Hello, World!"}


@api.get("/gc")
async def gc_state():
    """The process's garbage collector: objects frozen at start-up, and live tracked ones."""
    return {"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}


@api.get("/items/{item_id}")
async def get_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@api.get("/pair/{b}/{a}")
async def pair(a: str, b: int):
    return {"a": a, "b": b}


@api.get("/typed/{n:int}")
async def typed(n: int):
    return {"n": n}


@api.get("/files/{rest:path}")
async def files(rest: str):
    return {"rest": rest}


@api.get("/uuid/{u}")
async def get_uuid(u: uuid.UUID):
    return {"u": str(u), "version": u.version}


@api.get("/search")
async def search(ids: list[int], active: bool = False, ratio: float = 1.0, tag: str | None = None):
    return {"ids": ids, "active": active, "ratio": ratio, "tag": tag}


@api.get("/raise")
async def boom():
    raise RuntimeError("handler exploded")


@api.get("/raise-after-await")
async def boom_later():
    await asyncio.sleep(0.01)
    raise ValueError("exploded after await")


@api.get("/teapot")
async def teapot():
    raise HTTPException(418, "I'm a teapot", headers={"X-Brew": "earl-grey"})


@api.get("/bad-header")
async def bad_header():
    raise HTTPException(400, "nope", headers={"X-Evil": "a\r\nSet-Cookie: pwned=1"})


@api.get("/sleep")
async def sleep(seconds: float = 0.05):
    await asyncio.sleep(seconds)
    return {"slept": seconds}


@api.get("/block/{name}")
async def block(name: str, seconds: float = 1.0):
    """Marks that it started (a file the test waits for), then sleeps."""
    Path(settings.MARKER_DIR, name).write_text("started")
    await asyncio.sleep(seconds)
    return {"done": name}


@api.get("/echo/{n}")
async def echo(n: int, tag: str = ""):
    if n % 3:
        await asyncio.sleep((n % 7) / 1000)
    return {"n": n, "tag": tag}


@api.get("/text")
async def text():
    return "plain text ✓"


@api.get("/bytes")
async def raw_bytes():
    return b"\x00\x01binary"


@api.get("/unserialisable")
async def unserialisable():
    return {"obj": object()}


@api.get("/inspect")
async def inspect_request(request: Request):
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "agent": request.headers.get("user-agent"),
        "custom": request.headers.get("x-custom"),
    }


@api.post("/created", status_code=201)
async def created():
    return {"created": True}


class Item(msgspec.Struct):
    name: str
    price: float


@api.post("/items")
async def create_item(item: Item):
    return {"name": item.name, "price": item.price}


@api.post("/items-any-type", strict_content_type=False)
async def create_item_any_type(item: Item):
    """A JSON body route that opted out of the Content-Type check (issue 15)."""
    return {"name": item.name, "price": item.price}


@api.put("/items/{item_id}")
async def replace_item(item_id: int, item: Item):
    return {"item_id": item_id, "name": item.name}


@api.delete("/items/{item_id}")
async def delete_item(item_id: int):
    return {"deleted": item_id}


@api.get("/sync", sync_to_thread=True)
def sync_handler(x: int = 1):
    return {"sync": True, "x": x}


v1 = Router(prefix="/v1")


@v1.get("/status")
async def status():
    return {"version": 1}


api.include_router(v1)


@api.get("/worker")
async def worker():
    """Which process and event loop answered (multi-worker and uvloop tests)."""
    loop = asyncio.get_running_loop()
    return {"pid": os.getpid(), "loop": type(loop).__module__.partition(".")[0]}


@api.get("/request-id")
async def request_id(request: Request):
    return {"id": request.id}


@api.get("/cors-open")
@cors(allow_all_origins=True, allow_credentials=True, allow_methods=["GET"])
async def cors_open():
    return {"open": True}
