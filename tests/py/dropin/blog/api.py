"""An api.py written against django-bolt's documented API only (imports, keywords and
behaviour); tests/py/e2e/test_dropin.py serves it unchanged through a real runbolt."""

from __future__ import annotations

from typing import Annotated

import msgspec

from django_bolt import (
    JSON,
    BoltAPI,
    Depends,
    MediaType,
    Request,
    Response,
    Router,
    StreamingResponse,
)
from django_bolt.exceptions import HTTPException, NotFound
from django_bolt.health import add_health_check, register_health_checks
from django_bolt.middleware import (
    BaseMiddleware,
    DjangoMiddleware,
    DjangoMiddlewareStack,
    TimingMiddleware,
    cors,
    load_django_middleware,
    middleware,
    rate_limit,
    skip_middleware,
)
from django_bolt.openapi import (
    Contact,
    ExternalDocumentation,
    License,
    OpenAPIConfig,
    RedocRenderPlugin,
    Server,
    SwaggerRenderPlugin,
    Tag,
)
from django_bolt.param_functions import Header, Query
from django_bolt.shortcuts import render
from django_bolt.status_codes import HTTP_201_CREATED, HTTP_404_NOT_FOUND

from .djmw import Tagger


class TenantMiddleware(BaseMiddleware):
    """Reads X-Tenant into request.state and echoes it on the way out."""

    exclude_paths = ["/health-like"]

    async def process_request(self, request: Request) -> Response:
        request.state["tenant"] = request.headers.get("x-tenant", "public")
        response = await self.get_response(request)
        response.headers["X-Tenant"] = request.state["tenant"]
        return response


async def stamp(request: Request, call_next):  # type: ignore[no-untyped-def]
    response = await call_next(request)
    response.headers["X-Stamp"] = "route"
    return response


api = BoltAPI(
    trailing_slash="strip",
    middleware=[TenantMiddleware],
    compression=None,
    enable_logging=True,
    openapi_config=OpenAPIConfig(
        title="Blog",
        version="2.1.0",
        summary="A django-bolt project",
        contact=Contact(name="Ops", email="ops@example.com"),
        license=License(name="MIT"),
        servers=[Server(url="https://api.example.com")],
        tags=[Tag(name="v1", description="Version 1")],
        external_docs=ExternalDocumentation(url="https://docs.example.com"),
        exclude_paths=["/other"],
        render_plugins=[SwaggerRenderPlugin(path="/"), RedocRenderPlugin(path="/redoc")],
    ),
)


class Item(msgspec.Struct):
    name: str
    price: float


ITEMS: dict[int, Item] = {1: Item("pen", 1.5)}


@api.get("/items/{item_id}")
async def get_item(item_id: int, request: Request[object, dict, dict], q: str | None = None) -> dict:
    if item_id not in ITEMS:
        raise NotFound(detail=f"no item {item_id}")
    return {"id": item_id, "name": ITEMS[item_id].name, "q": q, "tenant": request.tenant}


@api.post("/items", status_code=HTTP_201_CREATED)
async def create_item(item: Item) -> dict:
    ITEMS[len(ITEMS) + 1] = item
    return {"id": len(ITEMS), "name": item.name}


@api.get("/raw")
async def raw() -> Response:
    return (
        Response(content={"raw": True}, status_code=202).set_cookie("seen", "1").set_cookie("flag", "x", samesite=False)
    )


@api.get("/html")
async def html() -> Response:
    return Response("<b>hi</b>", media_type=MediaType.HTML)


@api.get("/gone")
async def gone() -> JSON:
    return JSON({"detail": "gone"}, status_code=HTTP_404_NOT_FOUND)


@api.get("/teapot")
async def teapot() -> None:
    raise HTTPException(status_code=418, detail="short and stout")


@api.get("/events")
async def events() -> StreamingResponse:
    async def gen():  # type: ignore[no-untyped-def]
        yield "data: one\n\n"
        yield "data: two\n\n"

    return StreamingResponse(gen(), media_type="text/event-stream")


@api.get("/stamped")
@middleware(stamp, TimingMiddleware)
async def stamped() -> dict:
    return {"ok": True}


@api.get("/bare")
@skip_middleware("*")
async def bare() -> dict:
    return {"bare": True}


@api.get("/cors-open")
@cors(origins=["https://other.example"], methods=["GET"], credentials=True, max_age=600)
async def cors_open() -> dict:
    return {"cors": True}


@api.get("/cors-off")
@skip_middleware("cors")
async def cors_off() -> dict:
    return {"cors": False}


@api.get("/limited")
@rate_limit(rps=1, burst=2)
async def limited() -> dict:
    return {"limited": True}


def api_key_header(x_api_key: Annotated[str, Header()] = "") -> str:
    if x_api_key != "secret":
        raise HTTPException(status_code=401, detail="bad key")
    return x_api_key


v1 = Router(prefix="/v1", tags=["v1"], dependencies=[Depends(api_key_header)])


@v1.get("/who")
async def who(request: Request, page: int = Query(1, ge=1)) -> dict:
    return {"page": page, "tenant": request.state.get("tenant")}


api.include_router(v1)

partner = Router(
    prefix="/partner",
    middleware=[{"type": "cors", "origins": ["https://partner.example"]}, {"type": "rate_limit", "rps": 1}],
)


@partner.get("/feed")
async def feed() -> dict:
    return {"feed": []}


api.include_router(partner)

other = BoltAPI()


@other.get("/ping")
async def ping() -> str:
    return "pong"


api.mount("/other", other)


@api.get("/big")
async def big() -> list:
    return [{"id": i, "name": f"item {i}"} for i in range(200)]


class Problem(msgspec.Struct):
    code: str
    message: str


@api.post("/plans/{pk}/start", response_model={200: dict, 400: Problem})
async def start_plan(pk: int) -> dict:
    if pk == 0:
        raise HTTPException(
            400, body=Problem(code="unhealthy", message="plan 0 is not healthy"), headers={"X-Plan": "0"}
        )
    return {"id": pk}


# Django's own URLconf under /legacy (django-bolt 0.8+)
api.mount_django("/legacy")
api.mount_django("/full", clear_root_path=True)


@api.get("/links", name="links")
async def links() -> dict:
    from django.urls import reverse  # noqa: PLC0415 - as a project would write it

    return {"item": reverse("get_item", kwargs={"item_id": 5}), "self": reverse("links")}


@api.get("/page")
async def page(request: Request) -> Response:
    return render(request, "blog/page.html", {"name": "bolt"})


async def always_fine() -> tuple[bool, str]:
    return True, "fine"


add_health_check(always_fine)
register_health_checks(api)


class Search(msgspec.Struct):
    term: str


@api.query("/search")
async def search(body: Search) -> dict:
    return {"found": [body.term]}


@api.get("/meta")
async def meta(request: Request) -> dict:
    keys = ("REMOTE_ADDR", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME", "QUERY_STRING", "REQUEST_METHOD")
    return {k: request.META.get(k) for k in keys}


@api.get("/django-mw")
@middleware(DjangoMiddleware("blog.djmw.stamp_middleware"), DjangoMiddleware(Tagger, tag="blue"))
async def django_mw() -> dict:
    return {"ok": True}


@api.get("/django-stack")
@middleware(
    DjangoMiddlewareStack(["django.middleware.clickjacking.XFrameOptionsMiddleware", "blog.djmw.stamp_middleware"])
)
async def django_stack() -> dict:
    return {"stacked": True}


loaded = Router(
    prefix="/loaded", middleware=load_django_middleware(["django.middleware.clickjacking.XFrameOptionsMiddleware"])
)


@loaded.get("/x")
async def loaded_x() -> dict:
    return {"loaded": True}


api.include_router(loaded)
