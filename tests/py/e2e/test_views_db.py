"""ModelViewSets, pagination and filtering over real models through a real runbolt, on SQLite
and on PostgreSQL (tests/pg/run.sh; skipped without DATABASE_URL except under CI=true).
Routes: tests/py/project/viewsapp/api.py."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..conftest import TEST_PROJECT, BoltProcess, run_manage
from .test_database import _fresh_postgres_database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    tmp: Path = tmp_path_factory.mktemp(f"views-{request.param}")
    env = {"TEST_MARKER_DIR": str(tmp), "DATABASE_POOL_SIZE": "4"}
    cleanup: Callable[[], None] = lambda: None  # noqa: E731
    if request.param == "sqlite":
        env["TEST_DB"] = str(tmp / "views.sqlite3")
    else:
        env["TEST_DATABASE_URL"], cleanup = _fresh_postgres_database()
    try:
        done = run_manage("migrate", "--noinput", env=env, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        server = BoltProcess(TEST_PROJECT, tmp / "runbolt.log", env=env)
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=30) as c:
            _seed(c)
            c.bolt_log = server.log  # type: ignore[attr-defined]  # the N+1 guard's test reads it
            yield c
        server.stop()
    finally:
        cleanup()


def _seed(c: httpx.Client) -> None:
    """Ten articles: a0..a9, rating = index, even ones published."""
    for i in range(10):
        body = {"title": f"title {i}", "slug": f"a{i}", "body": "lorem" if i < 5 else "ipsum", "rating": i}
        r = c.post("/v/articles", json=body)
        assert r.status_code == 201, r.text
        if i % 2 == 0:
            assert c.post(f"/v/articles/{r.json()['id']}/publish").status_code == 200


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [a["slug"] for a in items]


# ---- ModelViewSet CRUD -------------------------------------------------------------------------


def test_model_viewset_crud(client: httpx.Client) -> None:
    c = client
    r = c.post("/v/articles", json={"title": "crud", "slug": "crud", "rating": 3})
    assert r.status_code == 201
    created = r.json()
    pk = created["id"]
    # the response is serializer_class's shape (no body, no author_id)
    assert created == {"id": pk, "title": "crud", "status": "draft", "rating": 3, "slug": "crud"}

    assert c.get(f"/v/articles/{pk}").json() == created
    listed = c.get("/v/articles").json()
    assert isinstance(listed, list) and created in listed

    r = c.put(f"/v/articles/{pk}", json={"title": "crud2", "slug": "crud", "rating": 4})
    assert r.status_code == 200
    assert r.json() == {"id": pk, "title": "crud2", "status": "draft", "rating": 4, "slug": "crud"}

    # partial_update sets only the sent fields
    r = c.patch(f"/v/articles/{pk}", json={"rating": 9})
    assert r.status_code == 200
    assert r.json() == {"id": pk, "title": "crud2", "status": "draft", "rating": 9, "slug": "crud"}

    r = c.delete(f"/v/articles/{pk}")
    assert r.status_code == 204
    assert r.content == b""
    r = c.get(f"/v/articles/{pk}")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not found"}
    assert c.delete(f"/v/articles/{pk}").status_code == 404
    assert c.patch(f"/v/articles/{pk}", json={"rating": 1}).status_code == 404


def test_viewset_bad_input(client: httpx.Client) -> None:
    c = client
    r = c.post("/v/articles", json={"title": "no slug"})
    assert r.status_code == 422
    assert any(e["loc"][-1] == "slug" for e in r.json()["detail"])
    r = c.post("/v/articles", json={"title": "x", "slug": "x-bad", "status": "archived"})
    assert r.status_code == 422  # Literal choices
    r = c.get("/v/articles/not-a-number")
    assert r.status_code == 422  # the lookup is typed from the model's integer key
    assert c.patch("/v/articles/1", json={"rating": "high"}).status_code == 422


def test_actions_and_custom_lookup(client: httpx.Client) -> None:
    c = client
    assert c.get("/v/articles/published-count").json() == {"count": 5}
    r = c.get("/v/by-slug/a3")
    assert r.status_code == 200
    assert r.json()["slug"] == "a3" and r.json()["title"] == "title 3"
    assert c.get("/v/by-slug/nope").status_code == 404
    assert c.post("/v/articles/999999/publish").json() == {"detail": "Not found"}


# ---- pagination ------------------------------------------------------------------------------


def test_page_number_pagination(client: httpx.Client) -> None:
    c = client
    first = c.get("/v/paged").json()
    assert _ids(first["items"]) == ["a0", "a1", "a2"]
    assert {k: v for k, v in first.items() if k != "items"} == {
        "total": 10, "page": 1, "page_size": 3, "total_pages": 4, "has_next": True, "has_previous": False,
        "next_page": 2,
    }  # fmt: skip
    # keys a paginator does not use are absent, not null
    assert "previous_page" not in first and "limit" not in first and "next_cursor" not in first
    last = c.get("/v/paged", params={"page": 4}).json()
    assert _ids(last["items"]) == ["a9"] and last["has_next"] is False and last["previous_page"] == 3
    assert c.get("/v/paged", params={"page": "junk"}).json()["page"] == 1
    big = c.get("/v/paged", params={"page_size": 100}).json()
    assert big["page_size"] == 5 and len(big["items"]) == 5  # capped at max_page_size
    assert c.get("/v/paged", params={"page": 99}).json()["items"] == []


def test_drf_envelope_with_absolute_urls(client: httpx.Client) -> None:
    c = client
    body = c.get("/v/drf").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 10 and _ids(body["results"]) == ["a0", "a1"] and body["previous"] is None
    nxt = httpx.URL(body["next"])
    assert nxt.path == "/v/drf" and dict(nxt.params) == {"limit": "2", "offset": "2"}
    second = c.get(f"{nxt.path}?{nxt.query.decode()}").json()
    assert _ids(second["results"]) == ["a2", "a3"]
    prev = httpx.URL(second["previous"])
    assert dict(prev.params) == {"limit": "2"}


def test_cursor_pagination_both_ways(client: httpx.Client) -> None:
    c = client
    page = c.get("/v/cursor").json()
    assert _ids(page["items"]) == ["a0", "a1"]
    assert page["has_previous"] is False and "previous_cursor" not in page and page["total"] == 0
    seen = _ids(page["items"])
    pages = [page]
    while page["has_next"]:
        page = c.get("/v/cursor", params={"cursor": page["next_cursor"]}).json()
        seen += _ids(page["items"])
        pages.append(page)
    assert seen == [f"a{i}" for i in range(10)]
    assert "next_cursor" not in page
    # and back again with previous_cursor
    back: list[str] = []
    while "previous_cursor" in page:
        page = c.get("/v/cursor", params={"cursor": page["previous_cursor"]}).json()
        back = _ids(page["items"]) + back
    assert back == [f"a{i}" for i in range(8)]
    assert page["has_previous"] is False and page["has_next"] is True
    r = c.get("/v/cursor", params={"cursor": "!!not-a-cursor"})
    assert r.status_code == 400 and r.json() == {"detail": "Invalid cursor"}
    r = c.get("/v/cursor", params={"cursor": base64.urlsafe_b64encode(b"[1,2]").decode()})
    assert r.status_code == 400


# ---- filtering, search, ordering ------------------------------------------------------------


def test_viewset_filters_search_and_ordering(client: httpx.Client) -> None:
    c = client
    published = c.get("/v/articles", params={"status": "published"}).json()
    assert _ids(published) == ["a0", "a2", "a4", "a6", "a8"]
    assert _ids(c.get("/v/articles", params={"rating__gte": 7}).json()) == ["a7", "a8", "a9"]
    r = c.get("/v/articles", params={"rating__gte": 3, "rating__lte": 4, "status": "draft"})
    assert _ids(r.json()) == ["a3"]
    assert _ids(c.get("/v/articles", params={"search": "ipsum title"}).json()) == ["a5", "a6", "a7", "a8", "a9"]
    assert _ids(c.get("/v/articles", params={"ordering": "-rating"}).json())[:2] == ["a9", "a8"]
    assert len(c.get("/v/articles", params={"author__isnull": "true"}).json()) == 10


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"body": "lorem"}, "body"),  # a model field that is not declared
        ({"rating__in": "1,2"}, "rating__in"),  # a lookup that is not allowed
        ({"title__regex": ".*"}, "title__regex"),
        ({"rating": "high"}, "rating"),  # a value the field cannot hold
        ({"ordering": "body"}, "ordering"),  # not in ordering_fields
        ({"ordering": "-rating,slug"}, "ordering"),
        ({"author__isnull": "maybe"}, "author__isnull"),
    ],
)
def test_undeclared_or_bad_filters_are_422(client: httpx.Client, params: dict[str, str], loc: str) -> None:
    r = client.get("/v/articles", params=params)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert [e["loc"] for e in detail] == [["query", loc]]
    assert detail[0]["msg"]


def test_function_route_filter_and_paginate(client: httpx.Client) -> None:
    c = client
    body = c.get("/v/fn-articles", params={"status": "draft", "ordering": "-rating", "limit": 2}).json()
    assert _ids(body["items"]) == ["a9", "a7"]
    assert body["total"] == 5 and body["limit"] == 2 and body["offset"] == 0 and body["has_next"] is True
    assert _ids(c.get("/v/fn-articles", params={"search": "title 4"}).json()["items"]) == ["a4"]
    assert c.get("/v/fn-articles", params={"slug": "a1"}).status_code == 422
    assert c.get("/v/fn-articles", params={"ordering": "title"}).status_code == 422
    assert c.get("/v/fn-articles", params={"rating__gte": "x"}).status_code == 422


def test_openapi_documents_every_generated_route(client: httpx.Client) -> None:
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    assert set(paths["/v/articles"]) == {"get", "post"}
    assert set(paths["/v/articles/{pk}"]) == {"get", "put", "patch", "delete"}
    assert "post" in paths["/v/articles/{pk}/publish"] and "get" in paths["/v/articles/published-count"]
    assert "201" in paths["/v/articles"]["post"]["responses"]
    assert "204" in paths["/v/articles/{pk}"]["delete"]["responses"]
    listed = {p["name"] for p in paths["/v/articles"]["get"]["parameters"]}
    assert {"status", "rating__gte", "search", "ordering"} <= listed
    assert {p["name"] for p in paths["/v/paged"]["get"]["parameters"]} == {"page", "page_size"}
    assert {p["name"] for p in paths["/v/by-slug/{slug}"]["get"]["parameters"]} == {"slug"}
    ok = paths["/v/paged"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ok.endswith("PaginatedResponse_ArticleOut_")


# ---- serializers -----------------------------------------------------------------------------


def test_serializer_viewset_hides_write_only_and_adds_computed(client: httpx.Client) -> None:
    c = client
    author = c.post("/v/authors", params={"name": "Ann"}).json()["id"]
    r = c.post("/v/ser-articles", json={"title": " Hello ", "slug": "ser-1", "body": "secret", "rating": 4})
    assert r.status_code == 201, r.text
    made = r.json()
    pk = made["id"]
    # body is write-only; the validator stripped the title; headline is computed; id read-only
    assert made == {"id": pk, "title": "Hello", "slug": "ser-1", "rating": 4, "author": None, "headline": "Hello (4)"}
    listed = [a for a in c.get("/v/ser-articles").json() if a["id"] == pk]
    assert listed == [made]
    # a nested related object is read through the serializer
    from_fk = c.post("/v/ser-articles", json={"title": "With author", "slug": "ser-2"}).json()
    r = c.put(f"/v/articles/{from_fk['id']}", json={"title": "With author", "slug": "ser-2", "author_id": author})
    assert r.status_code == 200
    got = c.get(f"/v/ser-articles/{from_fk['id']}").json()
    assert got["author"] == {"id": author, "name": "Ann"} and "body" not in got
    r = c.patch(f"/v/ser-articles/{pk}", json={"rating": 7})
    assert r.json()["rating"] == 7 and r.json()["title"] == "Hello"
    assert c.delete(f"/v/ser-articles/{pk}").status_code == 204


def test_serializer_collects_every_error_in_one_422(client: httpx.Client) -> None:
    c = client
    r = c.post("/v/ser-echo", json={"title": "LOUD", "slug": "not a slug", "rating": 50})
    assert r.status_code == 422
    locs = sorted(tuple(e["loc"]) for e in r.json()["detail"])
    assert locs == [("body", "rating"), ("body", "slug"), ("body", "title")]
    r = c.post("/v/ser-echo", json={"title": "LOUD", "rating": 50})
    assert sorted(tuple(e["loc"]) for e in r.json()["detail"]) == [
        ("body", "rating"),
        ("body", "slug"),
        ("body", "title"),
    ]
    r = c.post("/v/ser-echo", json={"title": "same", "slug": "same"})
    assert r.json()["detail"] == [
        {"type": "value_error", "loc": ["body"], "msg": "slug and title must differ", "input": None}
    ]
    r = c.post("/v/ser-echo", json={"title": "ok", "slug": "ok-1", "body": "hidden"})
    assert r.status_code == 200
    assert r.json() == {"id": 0, "title": "ok", "slug": "ok-1", "rating": 0, "author": None, "headline": "ok (0)"}
    doc = c.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    response_schema = next(v for k, v in schemas.items() if k.startswith("ArticleSerializerResponse"))
    assert "body" not in response_schema["properties"] and "headline" in response_schema["properties"]


def test_generated_serializer_and_field_sets(client: httpx.Client) -> None:
    c = client
    rows = c.get("/v/generated").json()
    first = rows[0]
    assert set(first) == {"id", "title", "status", "rating", "author_id", "slug"}
    assert first["status"] in ("draft", "published")
    assert c.get("/v/brief").json() == [{"id": r["id"], "title": r["title"]} for r in rows[:2]]


def test_n_plus_one_guard_names_the_field_and_the_fix(client: httpx.Client) -> None:
    c = client
    author = c.post("/v/authors", params={"name": "Bea"}).json()["id"]
    for i in range(2):
        r = c.post("/v/articles", json={"title": f"n1 {i}", "slug": f"n1-{i}", "author_id": author})
        assert r.status_code == 201
    assert c.get("/v/ser-articles").status_code == 200  # select_related("author"): quiet
    assert "N+1" not in c.bolt_log()  # type: ignore[attr-defined]
    listed = c.get("/v/ser-lazy").json()
    assert {"id": author, "name": "Bea"} in [a["author"] for a in listed]
    log = c.bolt_log()  # type: ignore[attr-defined]
    assert "N+1 queries" in log and "ArticleSerializer" in log and ".select_related('author')" in log
    assert c.get("/v/ser-lazy/1").status_code == 200  # one object: not a list, no new warning
    assert c.bolt_log().count("N+1 queries") == 1  # type: ignore[attr-defined]


def test_settings_default_pagination_class(start_bolt: Any, tmp_path: Path) -> None:
    env = {"TEST_DB": str(tmp_path / "default.sqlite3"), "TEST_DEFAULT_PAGINATION": "viewsapp.paging.ThreePerPage"}
    done = run_manage("migrate", "--noinput", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    server = start_bolt(TEST_PROJECT, env=env)
    with httpx.Client(base_url=server.url, timeout=30) as c:
        _seed(c)
        body = c.get("/v/default-paged").json()
        assert _ids(body["items"]) == ["a0", "a1", "a2"] and body["total_pages"] == 4
        assert c.get("/v/paged").json()["page_size"] == 3  # its own class
    bad = start_bolt(TEST_PROJECT, env={**env, "TEST_DEFAULT_PAGINATION": "viewsapp.paging.Nope"}, ready=False)
    assert bad.proc.wait(timeout=60) != 0
    assert "BOLT_DEFAULT_PAGINATION_CLASS" in bad.log()


def test_generated_serializer_set_viewset(client: httpx.Client) -> None:
    c = client
    r = c.post("/v/set-articles", json={"title": "gen", "slug": "gen-1", "status": "published"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made == {
        "id": made["id"],
        "title": "gen",
        "slug": "gen-1",
        "status": "published",
        "rating": 0,
        "author_id": None,
    }
    bad = c.post("/v/set-articles", json={"title": "x" * 201, "slug": "bad slug", "status": "archived"})
    assert bad.status_code == 422
    assert sorted(e["loc"][-1] for e in bad.json()["detail"]) == ["slug", "status", "title"]
    r = c.patch(f"/v/set-articles/{made['id']}", json={"rating": 8})
    assert r.status_code == 200 and r.json()["rating"] == 8 and r.json()["title"] == "gen"
    assert c.patch(f"/v/set-articles/{made['id']}", json={"rating": "x"}).status_code == 422


def test_serializer_patch_runs_field_validators_and_pages_use_the_serializer(client: httpx.Client) -> None:
    c = client
    pk = c.post("/v/ser-articles", json={"title": "Patch me", "slug": "patch-me"}).json()["id"]
    r = c.patch(f"/v/ser-articles/{pk}", json={"title": "LOUD", "rating": 50})
    assert r.status_code == 422
    assert sorted(e["loc"][-1] for e in r.json()["detail"]) == ["rating", "title"]
    r = c.patch(f"/v/ser-articles/{pk}", json={"title": "  quiet  "})
    assert r.status_code == 200 and r.json()["title"] == "quiet"  # the validator stripped it
    page = c.get("/v/ser-paged").json()
    assert page["page_size"] == 3 and len(page["items"]) == 3
    first = page["items"][0]
    assert "body" not in first and first["headline"] == f"{first['title']} ({first['rating']})"


# ---- the compiled SELECT of list and retrieve (django_bolt/_runtime/orm_sql.py) ----------------


def _gadgets(c: httpx.Client) -> list[dict[str, Any]]:
    made = []
    for i, (active, price) in enumerate([(True, "12.50"), (False, "0.99"), (True, "100.00")]):
        body = {
            "uid": str(uuid.uuid4()),
            "name": f"gadget {i}",
            "made": f"2026-03-0{i + 1}T10:30:00+02:00",
            "active": active,
            "price": price,
        }
        r = c.post("/v/gadgets", json=body)
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
    # as read back (the created objects answer the offsets they were sent with)
    return [c.get(f"/v/fn-gadgets/{pk}").json()[0] for pk in made]


def test_compiled_list_and_retrieve_read_columns_as_django_does(client: httpx.Client) -> None:
    c = client
    made = _gadgets(c)
    assert made[1]["active"] is False and made[0]["price"] == "12.50"
    reference = c.get("/v/fn-gadgets").json()  # Django's own evaluation of the same QuerySet
    for _ in range(6):  # the first request compiles, the next ones reuse it, on each ORM thread
        assert c.get("/v/gadgets").json() == reference
    assert c.get(f"/v/gadgets/{made[0]['id']}").json() == made[0]
    assert c.get(f"/v/gadgets-by-uid/{made[0]['uid']}").json() == made[0]
    kept = c.get("/v/sql-plans").json()
    assert kept["templates"] >= 3  # the list's and the two retrieves'
    assert all(g in reference for g in made)
    assert made[0]["made"] in ("2026-03-01T08:30:00Z", "2026-03-01T08:30:00+00:00")
    for g in made:
        for _ in range(3):
            assert c.get(f"/v/gadgets/{g['id']}").json() == g
            assert c.get(f"/v/gadgets-by-uid/{g['uid']}").json() == g
    assert c.get("/v/sql-plans").json() == kept  # other ids: the same templates
    # a queryset assigned per instance: the same rows, and no template per request
    for g in made:
        assert c.get(f"/v/instance-gadgets/{g['id']}").json() == g
    assert c.get("/v/instance-gadgets").json() == c.get("/v/gadgets").json()
    assert c.get("/v/sql-plans").json()["templates"] == kept["templates"]
    assert c.get("/v/gadgets/99999999").json() == {"detail": "Not found"}
    assert c.get("/v/gadgets/99999999").status_code == 404
    assert c.get(f"/v/gadgets-by-uid/{uuid.uuid4()}").status_code == 404
    assert c.get("/v/gadgets-by-uid/not-a-uuid").status_code == 422
    # rows are read on every request: a deleted row is gone at once
    assert c.delete(f"/v/gadgets/{made[2]['id']}").status_code == 204
    assert made[2] not in c.get("/v/gadgets").json()
    assert c.get(f"/v/gadgets/{made[2]['id']}").status_code == 404
    assert c.get(f"/v/gadgets-by-uid/{made[2]['uid']}").status_code == 404


def test_a_chained_get_queryset_keeps_its_filter(client: httpx.Client) -> None:
    c = client
    made = _gadgets(c)
    active = c.get("/v/active-gadgets").json()
    assert made[0] in active and made[1] not in active
    assert all(g["active"] for g in active)
    assert c.get(f"/v/active-gadgets/{made[1]['id']}").status_code == 404
    assert c.get(f"/v/active-gadgets/{made[0]['id']}").json() == made[0]
    # an empty class queryset (none()): no query at all, and the same answers
    assert c.get("/v/no-gadgets").json() == []
    assert c.get(f"/v/no-gadgets/{made[0]['id']}").status_code == 404


# ---- querysets narrowed per request: filters from the query string, per-user get_queryset ------


def _owned(c: httpx.Client, users: tuple[str, ...]) -> None:
    for user in users:
        for i in range(4):
            body = {
                "uid": str(uuid.uuid4()),
                "name": f"{user}-{i}",
                "made": f"2026-04-0{i + 1}T12:00:00Z",
                "active": i % 2 == 0,
                "price": f"{i}.25",
            }
            assert c.post("/v/gadgets", json=body).status_code == 201


def test_filtered_viewset_lists_reuse_the_plan_with_each_requests_values(client: httpx.Client) -> None:
    c = client
    _owned(c, ("fa", "fb"))

    def django(**params: Any) -> dict[str, Any]:
        r = c.get("/v/django-gadgets", params=params)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    values: list[dict[str, Any]] = [
        {"active": "True"},
        {"active": "False"},
        {"name": "fa-1"},
        {"name": "fb-2"},
        {"name": "fa-3", "active": "False"},
    ]
    for params in values:  # the first round compiles each shape (on the ORM threads it lands on)
        assert c.get("/v/filtered-gadgets", params=params).json() == django(**params)["rows"], params
    kept = c.get("/v/sql-plans").json()
    for _ in range(2):  # then: other values of the same shapes, no new plan, each its own rows
        for params in [*values[::-1], {"name": "fb-0"}, {"name": "nobody"}, {"name": "fa-2", "active": "False"}]:
            got = c.get("/v/filtered-gadgets", params=params).json()
            assert got == django(**params)["rows"], params
    assert c.get("/v/sql-plans").json() == kept
    assert [g["name"] for g in c.get("/v/filtered-gadgets", params={"name": "fb-2"}).json()] == ["fb-2"]
    assert c.get("/v/filtered-gadgets", params={"name": "fb-9"}).json() == []
    assert c.get("/v/filtered-gadgets", params={"active": "maybe"}).status_code == 422

    # pages of a filtered list: the count and the window, with the request's values
    for active in ("True", "False", "True"):
        reference = django(active=active)
        for page in (1, 2, 3):
            got = c.get("/v/filtered-gadget-pages", params={"active": active, "page": page}).json()
            assert got["total"] == reference["count"], (active, page)
            assert got["items"] == reference["rows"][(page - 1) * 3 : page * 3], (active, page)


def test_per_user_querysets_never_answer_another_users_rows(client: httpx.Client) -> None:
    c = client
    _owned(c, ("ua", "ub"))
    mine: dict[str, list[dict[str, Any]]] = {}
    for user in ("ua", "ub"):
        reference = c.get("/v/django-gadgets", params={"prefix": user}).json()
        assert reference["count"] == 4
        mine[user] = reference["rows"]
    for _ in range(3):  # alternating callers: each request gets its own user's rows
        for user in ("ua", "ub", "ub", "ua"):
            page = c.get("/v/my-gadgets", headers={"x-user": user}).json()
            assert page["total"] == 4 and page["items"] == mine[user][:3], user
            second = c.get("/v/my-gadgets", params={"page": 2}, headers={"x-user": user}).json()
            assert second["items"] == mine[user][3:], user
            other = "ub" if user == "ua" else "ua"
            assert c.get(f"/v/my-gadgets/{mine[user][1]['id']}", headers={"x-user": user}).json() == mine[user][1]
            assert c.get(f"/v/my-gadgets/{mine[other][1]['id']}", headers={"x-user": user}).status_code == 404
    nobody = c.get("/v/my-gadgets", headers={"x-user": "nobody"}).json()
    assert nobody["total"] == 0 and nobody["items"] == []
    # rows are read on every request: a deleted row is gone at once, for its owner only
    assert c.delete(f"/v/gadgets/{mine['ua'][0]['id']}").status_code == 204
    page = c.get("/v/my-gadgets", headers={"x-user": "ua"}).json()
    assert page["total"] == 3 and page["items"] == mine["ua"][1:4]
    assert c.get("/v/my-gadgets", headers={"x-user": "ub"}).json()["total"] == 4


# ---- serializer options over the socket -------------------------------------------------------


def test_before_validators_max_items_and_hidden_fields(client: httpx.Client) -> None:
    c = client
    body = {"title": "  hi ", "count": " 7 ", "tags": [{"name": "a"}], "note": "kept"}
    r = c.post("/v/ser-post", json=body)
    assert r.status_code == 200, r.text
    # the before validators saw the raw strings; the hidden field is still read and answered
    assert r.json() == {"title": "hi", "count": 7, "tags": [{"name": "a"}], "note": "kept"}
    r = c.post("/v/ser-post", json={"title": "x", "tags": [{"name": "a"}, {"name": "b"}, {"name": "c"}]})
    assert r.status_code == 422
    assert [(e["loc"], e["type"]) for e in r.json()["detail"]] == [(["body", "tags"], "too_long")]
    r = c.post("/v/ser-post", json={"title": 5, "count": "seven", "tags": "no"})
    assert r.status_code == 422
    assert sorted(tuple(e["loc"]) for e in r.json()["detail"]) == [
        ("body", "count"),
        ("body", "tags"),
        ("body", "title"),
    ]
    assert c.post("/v/ser-post", content=b"{broken").status_code == 422
    schemas = c.get("/openapi.json").json()["components"]["schemas"]
    request_schema = schemas["PostIn"]
    assert "note" not in request_schema["properties"] and "title" in request_schema["properties"]
    assert request_schema["properties"]["tags"]["maxItems"] == 2
    response_schema = next(v for k, v in schemas.items() if k.startswith("PostInResponse"))
    assert "note" not in response_schema["properties"]
    assert "maxItems" not in response_schema["properties"]["tags"]  # responses are not limited


def test_model_validators_run_on_patch_with_the_sent_fields(client: httpx.Client) -> None:
    c = client
    pk = c.post("/v/ser-articles", json={"title": "Patch model", "slug": "patch-model"}).json()["id"]
    r = c.patch(f"/v/ser-articles/{pk}", json={"title": "same-thing", "slug": "same-thing"})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "value_error", "loc": ["body"], "msg": "slug and title must differ", "input": None}
    ]
    assert c.get(f"/v/ser-articles/{pk}").json()["title"] == "Patch model"  # nothing saved
    r = c.patch(f"/v/ser-articles/{pk}", json={"rating": 3})  # slug and title UNSET: the validator passes
    assert r.status_code == 200 and r.json()["rating"] == 3
