"""mount_asgi through the in-process TestClient (no Django settings needed)."""

from __future__ import annotations

from typing import Any

from django_bolt import BoltAPI
from django_bolt.testing import TestClient


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = (await receive())["body"]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": f"{scope['path']}|{scope['root_path']}|".encode() + body})


def test_mount_asgi_through_the_test_client() -> None:
    api = BoltAPI()
    api.mount_asgi("/sub", echo_app)

    @api.get("/sub/own")
    async def own() -> dict[str, bool]:
        return {"api": True}

    with TestClient(api) as client:
        r = client.post("/sub/x/y", content=b"hi")
        assert r.status_code == 200 and r.text == "/sub/x/y|/sub|hi"
        assert client.get("/sub/own").json() == {"api": True}  # the more specific API route wins
