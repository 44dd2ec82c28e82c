"""The example API: found by `runbolt` because `demo` is in INSTALLED_APPS."""

import asyncio

import msgspec

from django_bolt import BoltAPI, HTTPException

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
