"""Python middleware (issue 18): chain order, early answers, exclusions, exceptions travelling
through the chain, skip_middleware, Router middleware/dependencies/auth and function
middleware. Behaviour of the Python chain only: the in-process TestClient runs the real Go
router and bridge; tests/py/e2e/test_dropin.py covers it through a real runbolt."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import msgspec
import pytest

from django_bolt import BoltAPI, Depends, Request, Router
from django_bolt.exceptions import HTTPException
from django_bolt.logging import create_logging_middleware
from django_bolt.middleware import (
    BaseMiddleware,
    ErrorHandlerMiddleware,
    Middleware,
    TimingMiddleware,
    middleware,
    skip_middleware,
)
from django_bolt.params import Header
from django_bolt.responses import JSON, PlainText, Response, StreamingResponse
from django_bolt.testing import TestClient

ORDER: list[str] = []


def tracer(name: str) -> type[Middleware]:
    class Trace(Middleware):
        async def process_request(self, request: Request) -> Response:
            ORDER.append(f">{name}")
            response = await self.get_response(request)
            ORDER.append(f"<{name}")
            response.headers[f"X-{name}"] = "1"
            return response

    Trace.__name__ = name
    return Trace


class Gate(BaseMiddleware):
    """Answers 403 itself unless X-Pass is sent; steps aside for /open and OPTIONS."""

    exclude_paths = ["/open", "/free/*"]
    exclude_methods = ["OPTIONS"]

    async def process_request(self, request: Request) -> Response:
        if request.headers.get("x-pass") != "1":
            return JSON({"detail": "gated"}, status_code=403)
        return await self.get_response(request)


async def fn_mw(request: Request, call_next: Any) -> Response:
    request.state["fn"] = True
    response: Response = await call_next(request)
    response.headers["X-Fn"] = "1"
    return response


def audit(x_audit: Annotated[str, Header()] = "") -> None:
    if x_audit == "deny":
        raise HTTPException(403, "audit said no")


api = BoltAPI(middleware=[tracer("Api"), Gate])
router = Router(prefix="/r", middleware=[tracer("Router")], dependencies=[Depends(audit)])


@router.get("/deep/{n}")
@middleware(tracer("Route"), fn_mw)
async def deep(n: int, request: Request) -> dict[str, Any]:
    ORDER.append("handler")
    return {"n": n, "fn": request.state.get("fn"), "params": request.path_params}


@router.get("/plain")
async def plain(q: int = 0) -> dict[str, int]:
    return {"q": q}


api.include_router(router)


@api.get("/open")
async def open_() -> str:
    return "open"


@api.get("/free/x")
async def free() -> PlainText:
    return PlainText("free")


@api.get("/boom")
@middleware(ErrorHandlerMiddleware)
async def boom() -> None:
    raise RuntimeError("kaboom")


@api.get("/boom-raw")
async def boom_raw() -> None:
    raise RuntimeError("kaboom")


@api.get("/http-error")
@middleware(ErrorHandlerMiddleware)
async def http_error() -> None:
    raise HTTPException(409, "conflict")


@api.get("/skipped")
@skip_middleware("Gate")
async def skipped() -> dict[str, bool]:
    return {"ok": True}


@api.get("/none")
@skip_middleware("*")
async def none() -> dict[str, bool]:
    return {"ok": True}


@api.get("/timed")
@middleware(TimingMiddleware)
async def timed(request: Request) -> dict[str, bool]:
    return {"has_start": "request_start_time" in request.state}


@api.get("/model", response_model=dict)
@middleware(TimingMiddleware)
async def text() -> str:
    return "hello"


class Plain:
    """MiddlewareProtocol without a base class: built with get_response, awaited per request."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    async def __call__(self, request: Request) -> Response:
        response: Response = await self.get_response(request)
        response.status_code = 299
        return response


@api.get("/plain-protocol")
@middleware(Plain)
async def plain_protocol() -> dict[str, bool]:
    return {"ok": True}


Logged = create_logging_middleware(logger_name="dropin.access", skip_paths={"/open"})


@api.get("/logged")
@middleware(Logged)
async def logged() -> dict[str, bool]:
    return {"ok": True}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(api, raise_server_exceptions=False) as c:  # the 500s are checked
        yield c


PASS = {"X-Pass": "1"}


def test_chain_order_api_router_route(client: TestClient) -> None:
    ORDER.clear()
    r = client.get("/r/deep/7", headers=PASS)
    assert r.status_code == 200
    assert r.json() == {"n": 7, "fn": True, "params": {"n": 7}}
    assert ORDER == [">Api", ">Router", ">Route", "handler", "<Route", "<Router", "<Api"]
    assert {r.headers["x-api"], r.headers["x-router"], r.headers["x-route"], r.headers["x-fn"]} == {"1"}


def test_middleware_can_answer_early(client: TestClient) -> None:
    ORDER.clear()
    r = client.get("/r/deep/7")
    assert (r.status_code, r.json()) == (403, {"detail": "gated"})
    assert "handler" not in ORDER
    assert r.headers["x-api"] == "1"  # the outer middleware still saw the reply


def test_exclude_paths_and_methods(client: TestClient) -> None:
    assert client.get("/open").text == "open"
    assert client.get("/free/x").text == "free"
    assert client.get("/r/plain").status_code == 403


def test_router_dependencies_run_first(client: TestClient) -> None:
    assert client.get("/r/plain", params={"q": 3}, headers=PASS).json() == {"q": 3}
    denied = client.get("/r/plain", headers={**PASS, "X-Audit": "deny"})
    assert (denied.status_code, denied.json()) == (403, {"detail": "audit said no"})


def test_validation_errors_pass_through_middleware(client: TestClient) -> None:
    r = client.get("/r/deep/abc", headers=PASS)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["path", "n"]


def test_error_handler_middleware(client: TestClient) -> None:
    r = client.get("/boom", headers=PASS)
    assert (r.status_code, r.json()) == (500, {"detail": "Internal Server Error"})
    assert r.headers["x-api"] == "1"  # answered inside the chain: the outer middleware saw it
    raw = client.get("/boom-raw", headers=PASS)
    assert raw.status_code == 500
    assert "x-api" not in raw.headers  # not caught: answered after the chain
    assert client.get("/http-error", headers=PASS).status_code == 409


def test_skip_middleware_by_name_and_all(client: TestClient) -> None:
    r = client.get("/skipped")
    assert r.json() == {"ok": True}
    assert r.headers["x-api"] == "1"  # only Gate was skipped
    bare = client.get("/none")
    assert bare.json() == {"ok": True}
    assert "x-api" not in bare.headers


def test_timing_middleware(client: TestClient) -> None:
    r = client.get("/timed", headers=PASS)
    assert r.json() == {"has_start": True}
    assert r.headers["x-response-time"].endswith("ms")


def test_non_json_results_are_kept(client: TestClient) -> None:
    r = client.get("/model", headers=PASS)
    assert r.status_code == 500  # "hello" is not a dict: the response model still applies


def test_logging_middleware(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="dropin.access"):
        assert client.get("/logged", headers=PASS).status_code == 200
    assert any(rec.getMessage().startswith("GET /logged 200 ") for rec in caplog.records)


def test_protocol_class_without_base(client: TestClient) -> None:
    r = client.get("/plain-protocol", headers=PASS)
    assert (r.status_code, r.json()) == (299, {"ok": True})


class Item(msgspec.Struct):
    name: str
    secret: str = "hidden"


class Public(msgspec.Struct):
    name: str


@api.get("/stream-through")
@middleware(TimingMiddleware)
async def stream_through() -> StreamingResponse:
    async def gen() -> AsyncIterator[str]:
        yield "a"
        yield "b"

    return StreamingResponse(gen(), media_type="text/plain")


@api.get("/modelled", response_model=Public)
@middleware(TimingMiddleware)
async def modelled() -> Item:
    return Item(name="pen")


@api.get("/text-through")
@middleware(TimingMiddleware)
async def text_through() -> str:
    return "plain text"


def test_streams_models_and_text_pass_through_the_chain(client: TestClient) -> None:
    r = client.get("/stream-through", headers=PASS)
    assert (r.text, r.headers["x-api"]) == ("ab", "1")
    assert "x-response-time" in r.headers
    m = client.get("/modelled", headers=PASS)
    assert m.json() == {"name": "pen"}  # only the response model's fields leave
    t = client.get("/text-through", headers=PASS)
    assert (t.text, t.headers["content-type"].split(";")[0]) == ("plain text", "text/plain")
