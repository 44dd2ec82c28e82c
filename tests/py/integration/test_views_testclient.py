"""Class-based views and list pagination through the in-process TestClient (no database:
the model-backed behaviour is in tests/py/e2e/test_views_db.py)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Annotated, Any

import msgspec
import pytest

from django_bolt import (
    APIView,
    BoltAPI,
    BoltConfigError,
    HTTPException,
    LimitOffsetPagination,
    ModelViewSet,
    PageNumberPagination,
    Request,
    Router,
    ViewSet,
    action,
    paginate,
)
from django_bolt.auth import APIKeyAuthentication, IsAuthenticated
from django_bolt.openapi.document import build_document
from django_bolt.params import Depends, Header
from django_bolt.testing import TestClient


class Item(msgspec.Struct):
    id: int
    name: str


class ItemIn(msgspec.Struct):
    name: str


ITEMS = [Item(id=i, name=f"item{i}") for i in range(7)]


def _tenant(thing_id: int, x_tenant: Annotated[str, Header()] = "none") -> str:
    return f"{x_tenant}/{thing_id}"


def test_apiview_methods_bind_like_function_handlers() -> None:
    api = BoltAPI()

    @api.view("/things/{thing_id}", tags=["things"])
    class Things(APIView):
        async def get(self, request: Request, thing_id: int, q: str | None = None) -> dict[str, Any]:
            assert self.request is request
            return {"id": thing_id, "q": q, "method": request.method}

        async def post(self, thing_id: int, data: ItemIn, tenant: str = Depends(_tenant)) -> dict[str, Any]:
            assert self.request is not None  # set even when the method does not take it
            return {"id": thing_id, "name": data.name, "tenant": tenant}

    with TestClient(api) as c:
        assert c.get("/things/3", params={"q": "x"}).json() == {"id": 3, "q": "x", "method": "GET"}
        r = c.post("/things/4", json={"name": "n"}, headers={"x-tenant": "t1"})
        assert r.json() == {"id": 4, "name": "n", "tenant": "t1/4"}
        assert c.get("/things/abc").status_code == 422
        assert c.post("/things/4", json={}).status_code == 422
        assert c.put("/things/4").status_code == 405
    assert Things.get_allowed_methods() == {"GET", "POST"}


def test_methods_keyword_and_class_status_code() -> None:
    api = BoltAPI()

    @api.view("/only-get", methods=["GET"])
    class OnlyGet(APIView):
        status_code = 202

        async def get(self) -> dict[str, bool]:
            return {"ok": True}

        async def delete(self) -> dict[str, bool]:
            return {"deleted": True}

    with TestClient(api) as c:
        r = c.get("/only-get")
        assert r.status_code == 202
        assert c.delete("/only-get").status_code == 405


def test_action_on_an_apiview_is_a_startup_error() -> None:
    api = BoltAPI()
    with pytest.raises(BoltConfigError, match="@action needs api.viewset"):

        @api.view("/bad")
        class Bad(APIView):
            async def get(self) -> dict[str, str]:
                return {}

            @action(methods=["GET"], detail=False)
            async def extra(self) -> dict[str, str]:
                return {}


def test_sync_view_methods_follow_the_sync_handler_rule() -> None:
    api = BoltAPI()
    with pytest.raises(BoltConfigError, match="plain `def`"):

        @api.view("/sync")
        class Sync(APIView):
            def get(self) -> dict[str, str]:
                return {}

    @api.view("/sync-ok")
    class SyncOk(APIView):
        sync_to_thread = True

        def get(self, request: Request) -> dict[str, str]:
            return {"path": request.path}

    with TestClient(api) as c:
        assert c.get("/sync-ok").json() == {"path": "/sync-ok"}


def test_one_view_instance_per_request() -> None:
    api = BoltAPI()
    instances: list[int] = []

    @api.view("/slow/{n}")
    class Slow(APIView):
        async def get(self, request: Request, n: int) -> dict[str, Any]:
            instances.append(id(self))
            self.mine = n  # type: ignore[attr-defined]
            await asyncio.sleep(0.05)  # others run meanwhile on the same loop
            assert self.request is request and self.kwargs == {}
            return {"n": n, "seen": self.mine, "path": request.path}  # type: ignore[attr-defined]

    with TestClient(api) as c, concurrent.futures.ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda n: c.get(f"/slow/{n}").json(), range(8)))
    assert bodies == [{"n": n, "seen": n, "path": f"/slow/{n}"} for n in range(8)]
    assert len(instances) == 8


class ItemViewSet(ViewSet):
    serializer_class = Item
    guards = [IsAuthenticated()]
    auth = [APIKeyAuthentication(api_keys={"k1"})]

    async def list(self, request: Request) -> list[Item]:
        assert self.action == "list"
        return ITEMS

    async def retrieve(self, request: Request, pk: int) -> Item:
        assert self.action == "retrieve" and self.kwargs == {"pk": pk}
        for item in ITEMS:
            if item.id == pk:
                return item
        raise HTTPException(404, "Not found")

    async def create(self, request: Request, data: ItemIn) -> Item:
        return Item(id=99, name=data.name)

    @action(methods=["GET"], detail=False, auth=[], guards=[])
    async def public(self) -> dict[str, str]:
        return {"public": "yes"}

    @action(methods=["GET", "POST"], detail=True, path="double", status_code=202)
    async def twice(self, request: Request, pk: int) -> dict[str, Any]:
        return {"pk": pk, "method": request.method, "action": self.action}


def test_viewset_routes_statuses_and_precedence() -> None:
    api = BoltAPI()
    api.viewset("/items", tags=["items"])(ItemViewSet)
    key = {"x-api-key": "k1"}
    with TestClient(api) as c:
        assert c.get("/items").status_code == 401  # class auth/guards apply
        assert len(c.get("/items", headers=key).json()) == 7
        assert c.get("/items/3", headers=key).json() == {"id": 3, "name": "item3"}
        assert c.get("/items/42", headers=key).status_code == 404
        r = c.post("/items", json={"name": "new"}, headers=key)
        assert r.status_code == 201 and r.json() == {"id": 99, "name": "new"}
        assert c.get("/items/public").json() == {"public": "yes"}  # the action's own auth wins
        r = c.post("/items/5/double", headers=key)
        assert r.status_code == 202 and r.json() == {"pk": 5, "method": "POST", "action": "twice"}
        assert c.get("/items/5/double", headers=key).status_code == 202
        assert c.put("/items/5", headers=key).status_code == 405  # no update action

    # the decorator's status_code beats the defaults (and the class attribute)
    api2 = BoltAPI()
    api2.viewset("/items", status_code=200, auth=[], guards=[])(ItemViewSet)
    with TestClient(api2) as c:
        assert c.post("/items", json={"name": "x"}).status_code == 200
        assert c.get("/items").status_code == 200  # decorator's auth/guards beat the class's


def test_viewset_openapi() -> None:
    api = BoltAPI()
    api.viewset("/items")(ItemViewSet)
    doc = build_document(api.routes)
    paths = doc["paths"]
    assert set(paths["/items"]) == {"get", "post"}
    assert set(paths["/items/{pk}"]) == {"get"}
    assert set(paths["/items/{pk}/double"]) == {"get", "post"}
    assert "202" in paths["/items/{pk}/double"]["post"]["responses"]
    assert "201" in paths["/items"]["post"]["responses"]
    assert paths["/items/{pk}"]["get"]["parameters"][0]["schema"] == {"type": "integer"}
    assert "security" in paths["/items"]["get"] and "security" not in paths["/items/public"]["get"]


def test_detail_route_without_the_lookup_argument_is_a_startup_error() -> None:
    class Broken(ViewSet):
        async def retrieve(self, request: Request) -> dict[str, str]:
            return {}

    with pytest.raises(BoltConfigError, match="needs a 'pk' argument"):
        BoltAPI().viewset("/b")(Broken)


def test_paginate_a_list_on_function_routes_and_viewset_methods() -> None:
    api = BoltAPI()

    class Three(PageNumberPagination):
        page_size = 3

    @api.get("/pages")
    @paginate(Three)
    async def pages(request: Request) -> list[Item]:
        return ITEMS

    @api.get("/offsets")
    @paginate(LimitOffsetPagination)
    async def offsets(request: Request) -> list[Item]:
        return ITEMS

    class Sized(PageNumberPagination):
        page_size, max_page_size = 3, 5

    class Fixed(PageNumberPagination):
        page_size, page_size_query_param = 3, None

    @api.get("/fixed")
    @paginate(Fixed)
    async def fixed(request: Request) -> list[Item]:
        return ITEMS

    @api.get("/sized")
    @paginate(Sized)
    async def sized(request: Request) -> list[Item]:
        return ITEMS

    @api.viewset("/vs")
    class Paged(ViewSet):
        serializer_class = Item

        @paginate(Three)
        async def list(self, request: Request) -> Any:
            return ITEMS

    with TestClient(api) as c:
        body = c.get("/pages", params={"page": 3}).json()
        assert body == {
            "items": [{"id": 6, "name": "item6"}], "total": 7, "has_next": False, "has_previous": True,
            "page": 3, "page_size": 3, "total_pages": 3, "previous_page": 2,
        }  # fmt: skip
        body = c.get("/offsets", params={"limit": 2, "offset": 5}).json()
        assert body == {
            "items": [{"id": 5, "name": "item5"}, {"id": 6, "name": "item6"}], "total": 7, "has_next": False,
            "has_previous": True, "limit": 2, "offset": 5,
        }  # fmt: skip
        assert c.get("/offsets", params={"limit": 0, "offset": -4}).json()["limit"] == 100
        # docs/pagination.md: junk or < 1 pages mean 1, limits are capped, offsets < 0 mean 0,
        # and ?page_size= is capped (< 1: the default) unless page_size_query_param is None.
        assert c.get("/pages", params={"page": "junk"}).json()["page"] == 1
        assert c.get("/pages", params={"page": 0}).json()["page"] == 1
        assert c.get("/fixed", params={"page_size": 1}).json()["page_size"] == 3
        capped = c.get("/offsets", params={"limit": 5000, "offset": -4}).json()
        assert (capped["limit"], capped["offset"]) == (1000, 0)
        sizes = [c.get("/sized", params={"page_size": n}).json()["page_size"] for n in (2, 50, 0)]
        assert sizes == [2, 5, 3]
        assert c.get("/vs").json()["items"][0] == {"id": 0, "name": "item0"}
    doc = build_document(api.routes)
    ref = doc["paths"]["/pages"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("PaginatedResponse_Item_")
    assert [p["name"] for p in doc["paths"]["/offsets"]["get"]["parameters"]] == ["limit", "offset"]


def test_paginate_needs_the_request() -> None:
    with pytest.raises(BoltConfigError, match="take `request`"):

        @paginate()
        async def no_request() -> list[Item]:
            return []


def test_router_viewsets_and_as_view() -> None:
    router = Router(prefix="/r", tags=["r"])
    router.viewset("/items")(ItemViewSet)

    class Ping(APIView):
        async def get(self, request: Request) -> dict[str, str]:
            return {"pong": request.path}

    router.view("/ping")(Ping)
    api = BoltAPI()
    api.include_router(router, prefix="/v1")
    api.add_route("GET", "/manual", Ping.as_view("get"))
    with TestClient(api) as c:
        assert c.get("/v1/r/items/2", headers={"x-api-key": "k1"}).json() == {"id": 2, "name": "item2"}
        assert c.get("/v1/r/ping").json() == {"pong": "/v1/r/ping"}
        assert c.get("/manual").json() == {"pong": "/manual"}
    doc = build_document(api.routes)
    assert doc["paths"]["/v1/r/items"]["get"]["tags"] == ["r"]


def test_model_mixins_need_a_body_type() -> None:
    class NoSerializer(ModelViewSet):
        pass

    with pytest.raises(BoltConfigError, match="body type is unknown"):
        BoltAPI().viewset("/n")(NoSerializer)


def test_action_response_model_summary_and_tags() -> None:
    class Brief(msgspec.Struct):
        id: int

    @action(methods=["GET"], detail=True, response_model=Brief, summary="Short form", tags=["extra"])
    async def brief(self: Any, request: Request, pk: int) -> Item:
        return Item(id=pk, name="dropped by the response model")

    class WithAction(ViewSet):
        async def list(self, request: Request) -> list[Item]:
            return []

    WithAction.brief = brief  # type: ignore[attr-defined]
    api = BoltAPI()
    api.viewset("/w", tags=["w"])(WithAction)
    with TestClient(api) as c:
        assert c.get("/w/4/brief").json() == {"id": 4}  # the action's response_model beats the annotation
    op = build_document(api.routes)["paths"]["/w/{pk}/brief"]["get"]
    assert op["summary"] == "Short form" and op["tags"] == ["w", "extra"]


def test_paginate_takes_the_item_type_from_response_model() -> None:
    api = BoltAPI()

    class Two(PageNumberPagination):
        page_size = 2

    @api.get("/rm", response_model=list[Item])
    @paginate(Two)
    async def rm(request: Request) -> Any:
        return [{"id": i, "name": f"n{i}", "extra": "dropped"} for i in range(3)]

    with TestClient(api) as c:
        body = c.get("/rm", params={"page": 2}).json()
    assert body["items"] == [{"id": 2, "name": "n2"}] and body["total"] == 3 and body["previous_page"] == 1
    ref = build_document(api.routes)["paths"]["/rm"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ref["schema"]["$ref"].endswith("PaginatedResponse_Item_")


def test_paginator_serializer_class_types_untyped_items() -> None:
    api = BoltAPI()

    class Typed(LimitOffsetPagination):
        serializer_class = Item

    @api.get("/untyped")
    @paginate(Typed)
    async def untyped(request: Request) -> Any:
        return [{"id": 1, "name": "one", "secret": "dropped"}]

    with TestClient(api) as c:
        assert c.get("/untyped").json()["items"] == [{"id": 1, "name": "one"}]
