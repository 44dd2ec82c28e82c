"""Go-side request ids, /health and per-route CORS through the in-process TestClient. The app
is defined here; tests/py/e2e/test_middleware.py keeps the global CORS policy (Django settings)
and the limits that need a socket (chunked bodies on the wire, the connection cap)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from django_bolt import BoltAPI, Request
from django_bolt.middleware import cors
from django_bolt.testing import TestClient

api = BoltAPI()


@api.get("/request-id")
async def request_id(request: Request) -> dict[str, str]:
    return {"id": request.id}


@api.get("/cors-open")
@cors(allow_all_origins=True, allow_credentials=True, allow_methods=["GET"])
async def cors_open() -> dict[str, bool]:
    return {"open": True}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(api) as c:
        yield c


def test_health_is_answered_by_go(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    assert r.headers["x-request-id"]


def test_request_id_is_honoured_echoed_and_given_to_python(client: TestClient) -> None:
    r = client.get("/request-id", headers={"X-Request-ID": "trace-42"})
    assert r.json() == {"id": "trace-42"}
    assert r.headers["x-request-id"] == "trace-42"


def test_invalid_request_id_is_replaced(client: TestClient) -> None:
    r = client.get("/request-id", headers={"X-Request-ID": "x" * 200})
    generated = r.headers["x-request-id"]
    assert generated != "x" * 200
    assert r.json() == {"id": generated}
    other = client.get("/request-id").headers["x-request-id"]
    assert other != generated


def test_request_id_on_go_errors(client: TestClient) -> None:
    r = client.get("/no-such-route")
    assert r.status_code == 404
    assert r.headers["x-request-id"]


def test_per_route_cors_with_credentials_echoes_the_origin(client: TestClient) -> None:
    origin = "https://anyone.example"
    pre = client.options("/cors-open", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
    assert pre.headers["access-control-allow-origin"] == origin  # never "*" with credentials
    assert pre.headers["access-control-allow-credentials"] == "true"
    assert pre.headers["access-control-allow-methods"] == "GET"
    r = client.get("/cors-open", headers={"Origin": origin})
    assert r.json() == {"open": True}
    assert r.headers["access-control-allow-origin"] == origin
    assert r.headers["vary"] == "Origin"
