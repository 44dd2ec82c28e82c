"""The typed request/response surface through a real runbolt process (issue 3)."""

from __future__ import annotations

import httpx


def test_scalar_types(client: httpx.Client) -> None:
    r = client.get("/typed/scalars?d=1.50&when=2024-02-29&color=blue&mode=slow&at=2024-01-02T03:04:05Z")
    assert r.json() == {
        "d": "1.50",
        "when": "2024-02-29",
        "color": "blue",
        "mode": "slow",
        "at": "2024-01-02T03:04:05Z",
    }


def test_bad_enum_literal_date_each_reported(client: httpx.Client) -> None:
    r = client.get("/typed/scalars?d=x&when=2024-02-30&color=green&mode=medium")
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [
        ["query", "d"],
        ["query", "when"],
        ["query", "color"],
        ["query", "mode"],
    ]


def test_constraints_and_alias(client: httpx.Client) -> None:
    assert client.get("/typed/limits/3?q=abc&page=2&page-size=50").json() == {"n": 3, "q": "abc", "page": 2, "size": 50}
    r = client.get("/typed/limits/11?q=A&page=0&page-size=500")
    assert r.status_code == 422
    errors = {tuple(e["loc"]): e["msg"] for e in r.json()["detail"]}
    assert errors == {
        ("path", "n"): "Expected `int` <= 10",
        ("query", "q"): "Expected `str` of length >= 2",
        ("query", "page"): "Expected `int` >= 1",
        ("query", "page-size"): "Expected `int` <= 100",
    }


def test_pattern_constraint(client: httpx.Client) -> None:
    r = client.get("/typed/limits/3?q=AB1")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "q"]
    assert r.json()["detail"][0]["msg"] == "Expected `str` matching regex '^[a-z]+$'"


def test_headers_and_cookies(client: httpx.Client) -> None:
    r = client.get(
        "/typed/headers",
        headers=[
            ("X-Token", "t1"),
            ("User-Agent", "ua/1"),
            ("X-Tags", "a"),
            ("X-Tags", "b"),
            ("Cookie", "session=s1; ui-theme=dark"),
        ],
    )
    assert r.json() == {"token": "t1", "ua": "ua/1", "tags": ["a", "b"], "session": "s1", "theme": "dark"}


def test_missing_header_is_422(client: httpx.Client) -> None:
    r = client.get("/typed/headers")
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "missing", "loc": ["header", "x-token"], "msg": "Field required", "input": None}
    ]


def test_query_parameter_model(client: httpx.Client) -> None:
    r = client.get("/typed/filters?status=open&tags=a&tags=b&limit=3")
    assert r.json() == {"status": "open", "tags": ["a", "b"], "limit": 3}
    assert client.get("/typed/filters").json() == {"status": "any", "tags": [], "limit": 10}
    r = client.get("/typed/filters?limit=many")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "limit"]


def test_pydantic_body_and_return_annotation(client: httpx.Client) -> None:
    r = client.post("/typed/pydantic", json={"name": "pen", "price": 2.5, "tags": ["x"]})
    assert r.status_code == 201
    assert r.json() == {"name": "pen", "price": 2.5}


def test_pydantic_errors_have_field_paths(client: httpx.Client) -> None:
    r = client.post("/typed/pydantic", json={"name": "", "price": -1, "tags": [1]})
    assert r.status_code == 422
    locs = sorted(tuple(e["loc"]) for e in r.json()["detail"])
    assert locs == [("body", "name"), ("body", "price"), ("body", "tags", 0)]
    types = {e["type"] for e in r.json()["detail"]}
    assert types == {"string_too_short", "greater_than", "string_type"}


def test_dataclass_and_nested_struct(client: httpx.Client) -> None:
    assert client.post("/typed/dataclass", json={"x": 1, "y": 2}).json() == {"x": 1, "y": 2}
    assert client.post("/typed/nested", json={"start": {"x": 1, "y": 0}, "end": {"x": 4, "y": 0}}).json() == {"dx": 3}
    r = client.post("/typed/nested", json={"start": {"x": 1, "y": 0}, "end": {"x": "far", "y": 0}})
    assert r.json()["detail"] == [
        {"type": "value_error", "loc": ["body", "end", "x"], "msg": "Expected `int`, got `str`", "input": None}
    ]


def test_embedded_bodies(client: httpx.Client) -> None:
    r = client.post("/typed/embed", json={"item": {"name": "a", "price": 1}, "count": 3})
    assert r.json() == {"name": "a", "count": 3}
    r = client.post("/typed/embed", json={"item": {"name": "a", "price": 1}})
    assert r.json() == {"name": "a", "count": 1}
    r = client.post("/typed/embed", json={"count": 3})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "item"]


def test_bad_bodies(client: httpx.Client) -> None:
    cases = {
        b"": "missing",
        b"{": "json_invalid",
        b'{"x": 1, "y": \xff}': "json_invalid",
        b"[" * 5000 + b"]" * 5000: "value_error",  # refused at the first "[": a Point is an object
        b'{"x": 1e400, "y": 1}': "value_error",
        b'{"x": ' + b"9" * 5000 + b', "y": 1}': "value_error",  # out of range, refused without parsing
    }
    for body, kind in cases.items():
        r = client.post("/typed/dataclass", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422, body[:20]
        assert r.json()["detail"][0]["type"] == kind, (body[:20], r.json())
    assert client.get("/hello").status_code == 200


def test_deeply_nested_json_is_422_not_a_crash(client: httpx.Client) -> None:
    deep = b'{"item": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = client.post("/typed/embed", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "json_invalid", "loc": ["body"], "msg": "JSON body is nested too deeply", "input": None}
    ]
    assert client.get("/hello").status_code == 200


def test_response_model_filters_fields(client: httpx.Client) -> None:
    assert client.get("/typed/users/7").json() == {"id": 7, "name": "ada"}
    assert client.get("/typed/users-list").json() == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]


def test_response_model_mismatch_is_500_and_logged(bolt: object, client: httpx.Client) -> None:
    r = client.get("/typed/bad-output")
    assert r.status_code == 500
    assert "does not match the response model" in bolt.log()  # type: ignore[attr-defined]


def test_urlencoded_form(client: httpx.Client) -> None:
    r = client.post("/typed/form", data={"name": "ada", "age": "36", "tags": ["x", "y"]})
    assert r.json() == {"name": "ada", "age": 36, "tags": ["x", "y"]}
    r = client.post("/typed/form", data={"name": "ada"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["form", "age"]


def test_dependencies_nested_and_cached_per_request(client: httpx.Client) -> None:
    first = client.get("/typed/deps?limit=2", headers={"X-User": "ada"}).json()
    second = client.get("/typed/deps", headers={"X-User": "bob"}).json()
    # db_session runs once per request although three dependencies use it
    assert second["db_calls_seen"]["calls"] == first["db_calls_seen"]["calls"] + 1
    assert first["trail"] == f"ada@{first['db_calls_seen']['calls']}"
    assert (first["user"], first["limit"], second["user"], second["limit"]) == ("ada", 2, "bob", 5)


def test_response_classes(client: httpx.Client) -> None:
    r = client.get("/typed/responses/json")
    assert r.status_code == 202
    assert r.json() == {"ok": True}
    assert r.headers["x-extra"] == "1"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("sid=abc") and "HttpOnly" in cookie and "Max-Age=60" in cookie
    assert client.get("/typed/responses/text").headers["content-type"] == "text/plain; charset=utf-8"
    assert client.get("/typed/responses/html").text == "<h1>hi</h1>"
    r = client.get("/typed/responses/redirect", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (307, "/typed/responses/json")
    r = client.get("/typed/responses/custom")
    assert (r.headers["content-type"], r.text) == ("text/csv", "a,b\n1,2\n")
    r = client.get("/typed/responses/tuple")
    assert (r.status_code, r.headers["x-tuple"], r.json()) == (203, "yes", {"from": "tuple"})
    r = client.get("/typed/responses/django")
    assert (r.status_code, r.headers["x-django"], r.text) == (206, "1", "from django")
    r = client.get("/typed/responses/delete-cookie")
    assert r.status_code == 204
    assert "Max-Age=0" in r.headers["set-cookie"]


def test_exception_handlers_and_http_exception_extra(client: httpx.Client) -> None:
    r = client.get("/typed/responses/teapot", headers={"User-Agent": "pot"})
    assert r.status_code == 418
    assert r.json() == {"error": "teapot", "path": "/typed/responses/teapot", "ua": "pot"}
    r = client.get("/typed/responses/lookup")  # KeyError is handled by the LookupError handler
    assert (r.status_code, r.json()) == (404, {"error": "lookup", "kind": "KeyError"})
    r = client.get("/typed/responses/notfound")
    assert (r.status_code, r.json()) == (404, {"detail": "no such kind", "extra": {"kind": "notfound"}})


def test_request_extras(client: httpx.Client) -> None:
    r = client.get("/typed/request-extras?a=1", headers={"User-Agent": "ua", "Cookie": "c=v"})
    body = r.json()
    assert body["cookies"] == {"c": "v"}
    assert body["meta_ua"] == "ua"
    assert body["absolute"].endswith("/typed/request-extras?a=1")
    assert body["full_path"] == "/typed/request-extras?a=1"
    assert body["auth"] is None


def test_per_route_timeout_overrides_the_setting(client: httpx.Client) -> None:
    r = client.get("/typed/quick-timeout")  # timeout=0.3 on the route; HANDLER_TIMEOUT is 3 s
    assert r.status_code == 504
    assert client.get("/typed/quick-timeout?seconds=0.01").json() == {"slept": 0.01}


def test_file_response_is_sent_by_go(client: httpx.Client) -> None:
    r = client.get("/typed/files/hello.txt")
    assert (r.status_code, r.text) == (200, "hello file\n")
    assert r.headers["content-type"].startswith("text/plain")
    last_modified = r.headers["last-modified"]
    r = client.get("/typed/files/hello.txt", headers={"Range": "bytes=0-4"})
    assert (r.status_code, r.text) == (206, "hello")
    r = client.get("/typed/files/hello.txt", headers={"If-Modified-Since": last_modified})
    assert r.status_code == 304
    r = client.get("/typed/files/data.json?download=true")
    assert r.headers["content-type"] == "application/json"
    assert r.headers["content-disposition"] == 'attachment; filename="data.json"'


def test_file_response_refuses_missing_and_outside_files(bolt: object, client: httpx.Client) -> None:
    assert client.get("/typed/files/nope.txt").json() == {"detail": "File not found"}
    r = client.get("/typed/files/outside")
    assert r.status_code == 404
    assert "outside FILE_RESPONSE_ROOTS" in bolt.log()  # type: ignore[attr-defined]
    assert client.get("/typed/files/..%2F..%2Fmanage.py").status_code == 404


def test_ready_runs_the_registered_checks(bolt: object, client: httpx.Client) -> None:
    from pathlib import Path

    r = client.get("/ready")
    assert r.status_code == 200
    assert r.json() == {
        "status": "ready",
        "checks": {"always_ready": "ok", "flag_file": "ok", "database_check": "ok"},
    }
    marker = Path(bolt.log_path).parent / "not-ready"  # type: ignore[attr-defined]
    marker.write_text("")
    try:
        r = client.get("/ready")
        assert r.status_code == 503
        assert r.json()["status"] == "not ready"
        assert r.json()["checks"]["flag_file"] == "returned False"
        assert r.json()["checks"]["always_ready"] == "ok"
    finally:
        marker.unlink()
    assert client.get("/ready").status_code == 200
