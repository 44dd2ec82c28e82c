"""FastAPI peer: the two benchmark routes.

Run: uvicorn fastapi_app:app --loop uvloop --http httptools --workers 1 --no-access-log
"""

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.get("/items/{item_id}")
async def get_item(item_id: int, q: str | None = None) -> dict[str, int | str | None]:
    return {"item_id": item_id, "q": q}
