"""api.mount_asgi: a bare ASGI app under a prefix of a real runbolt."""

from __future__ import annotations

import httpx
import pytest

from django_bolt import BoltAPI
from django_bolt.exceptions import BoltConfigError


def test_mounted_app_answers_with_root_path_query_and_body(client: httpx.Client) -> None:
    r = client.post("/dj/mounted/a/b%20c?x=1&y=%2F", content=b"payload")
    assert r.status_code == 201
    assert r.headers["x-app"] == "tiny" and r.headers["content-type"] == "text/plain"
    assert r.text == "POST root_path=/dj/mounted path=/dj/mounted/a/b c query=x=1&y=%2F body=payload"
    assert r.headers["x-request-id"]


def test_mount_root_and_every_method(client: httpx.Client) -> None:
    assert client.get("/dj/mounted/").text.startswith("GET root_path=/dj/mounted path=/dj/mounted/ ")
    r = client.get("/dj/mounted", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"].endswith("/dj/mounted/")
    for method in ("PUT", "PATCH", "DELETE", "OPTIONS"):
        assert client.request(method, "/dj/mounted/x").text.startswith(f"{method} ")


def test_api_routes_outside_the_mount_are_untouched(client: httpx.Client) -> None:
    assert client.get("/hello").json() == {"message": "Hello, World!"}


@pytest.mark.parametrize("prefix", ["sub", "/sub/", "/a/{x}"])
def test_bad_mount_prefix_is_a_startup_error(prefix: str) -> None:
    with pytest.raises(BoltConfigError, match="mount_asgi prefix"):
        BoltAPI().mount_asgi(prefix, lambda scope, receive, send: None)


def test_mounting_something_that_is_not_an_app_is_an_error() -> None:
    with pytest.raises(BoltConfigError, match="ASGI application"):
        BoltAPI().mount_asgi("/x", "not an app")
