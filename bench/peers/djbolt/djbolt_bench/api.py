"""The two benchmark routes for django-bolt (PyPI).

runbolt finds this module because it is `<ROOT_URLCONF package>.api` and holds a top-level
`api = BoltAPI(...)` assignment (found by parsing the source, not by importing it).
Request logging and compression are turned off: the other targets do neither.
"""

from django_bolt import BoltAPI

api = BoltAPI(enable_logging=False, compression=False)


@api.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@api.get("/items/{item_id}")
async def get_item(item_id: int, q: str | None = None) -> dict[str, int | str | None]:
    return {"item_id": item_id, "q": q}
