"""The document and docs pages through the Go server (TestClient: in-process, real router):
answered from memory by Go, disabled, guarded by Python, local assets."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
import yaml

from django_bolt import BoltAPI, Request
from django_bolt.exceptions import BoltConfigError
from django_bolt.openapi import (
    JsonRenderPlugin,
    OpenAPIConfig,
    RapidocRenderPlugin,
    StoplightRenderPlugin,
    ui,
)
from django_bolt.testing import TestClient


class Item(msgspec.Struct):
    name: str


def make_api(config: OpenAPIConfig | None = None) -> BoltAPI:
    api = BoltAPI(openapi_config=config)

    @api.post("/items")
    async def create(item: Item) -> Item:
        return item

    return api


def test_document_and_pages_served_by_default() -> None:
    with TestClient(make_api()) as client:
        r = client.get("/openapi.json")
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        doc = r.json()
        assert doc["openapi"] == "3.1.0" and "/items" in doc["paths"]
        y = client.get("/openapi.yaml")
        assert y.headers["content-type"] == "application/yaml" and yaml.safe_load(y.text) == doc
        pages = {p: client.get(p) for p in ("/docs", "/docs/redoc", "/docs/scalar")}
        assert all(
            r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8" for r in pages.values()
        )
        # Offline by default: every asset comes from this server (the copies inside the package).
        assert "cdn." not in "".join(p.text for p in pages.values())
        assert '<script src="/docs/assets/swagger-ui-bundle.js">' in pages["/docs"].text
        assert "redoc.standalone.js" in pages["/docs/redoc"].text and "/openapi.json" in pages["/docs/scalar"].text
        for asset, kind in (
            ("swagger-ui-bundle.js", "javascript"),
            ("swagger-ui.css", "css"),
            ("scalar.js", "javascript"),
        ):
            r = client.get(f"/docs/assets/{asset}")
            assert r.status_code == 200 and kind in r.headers["content-type"] and len(r.content) > 100_000, asset
        bad = client.delete("/openapi.json")
        assert bad.status_code == 405 and bad.json() == {"detail": "Method Not Allowed"}
        assert client.post("/items", json={"name": "pen"}).json() == {"name": "pen"}  # routes unaffected


def test_rapidoc_and_stoplight_served_offline() -> None:
    """django-bolt's RapidocRenderPlugin and StoplightRenderPlugin: their pages and the real
    bundles from the package, all from this server."""
    plugins = [RapidocRenderPlugin(), StoplightRenderPlugin(), JsonRenderPlugin()]
    with TestClient(make_api(OpenAPIConfig(title="Shop", render_plugins=plugins))) as client:
        rapidoc, stoplight = client.get("/docs"), client.get("/docs/stoplight")  # the first plugin at /docs
        assert rapidoc.status_code == 200 and stoplight.status_code == 200
        assert rapidoc.headers["content-type"] == "text/html; charset=utf-8"
        assert "<title>Shop - RapiDoc</title>" in rapidoc.text and 'spec-url="/openapi.json"' in rapidoc.text
        assert '<script type="module" src="/docs/assets/rapidoc-min.js">' in rapidoc.text
        assert 'load-fonts="false"' in rapidoc.text  # offline: no Google Fonts
        assert 'apiDescriptionUrl="/openapi.json"' in stoplight.text
        assert '<link rel="stylesheet" href="/docs/assets/elements.css">' in stoplight.text
        assert '<script src="/docs/assets/elements.js">' in stoplight.text
        assert "cdn." not in rapidoc.text + stoplight.text
        for asset, kind, marker in (
            ("rapidoc-min.js", "javascript", b"rapi-doc"),
            ("elements.js", "javascript", b"elements-api"),
            ("elements.css", "css", b"{"),
        ):
            r = client.get(f"/docs/assets/{asset}")
            assert r.status_code == 200 and kind in r.headers["content-type"], asset
            assert len(r.content) > 100_000 and marker in r.content, asset
        assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 404  # only what is used
        assert client.get("/docs/redoc").status_code == 404 and client.get("/docs/rapidoc").status_code == 404


def test_rapidoc_and_stoplight_from_the_cdn() -> None:
    config = OpenAPIConfig(uis=("swagger", "rapidoc", "stoplight"))
    with TestClient(make_api(config), settings={"DOCS_CDN": True}) as client:
        rapidoc = client.get("/docs/rapidoc").text
        assert f"rapidoc@{ui.RAPIDOC_VERSION}/dist/rapidoc-min.js" in rapidoc and "load-fonts" not in rapidoc
        page = client.get("/docs/stoplight").text
        assert f"@stoplight/elements@{ui.ELEMENTS_VERSION}/web-components.min.js" in page
        assert f"@stoplight/elements@{ui.ELEMENTS_VERSION}/styles.min.css" in page


def test_config_title_paths_and_servers() -> None:
    config = OpenAPIConfig(
        title="Shop <API>", version="2.1", description="d", servers=[{"url": "https://api.example"}],
        path="/api-docs", openapi_url="/api/schema.json", yaml_url=None, uis=("redoc",),
    )  # fmt: skip
    with TestClient(make_api(config)) as client:
        doc = client.get("/api/schema.json").json()
        assert doc["info"] == {"title": "Shop <API>", "version": "2.1", "description": "d"}
        assert doc["servers"] == [{"url": "https://api.example"}]
        page = client.get("/api-docs").text
        assert "<redoc" in page and "Shop &lt;API&gt;" in page and "/api/schema.json" in page
        assert client.get("/openapi.json").status_code == 404
        assert client.get("/openapi.yaml").status_code == 404
        assert client.get("/api-docs/scalar").status_code == 404


def test_disabled_removes_every_docs_route() -> None:
    with TestClient(make_api(OpenAPIConfig(enabled=False))) as client:
        for path in ("/openapi.json", "/openapi.yaml", "/docs", "/docs/redoc", "/docs/scalar"):
            assert client.get(path).status_code == 404, path


class HasToken:
    """A guard object as django-bolt spells them: has_permission(request)."""

    def has_permission(self, request: Request) -> bool:
        return request.headers.get("x-docs-token") == "s3cret"


async def staff_only(request: Request) -> bool:
    return request.query.get("staff") == "1"


def test_guarded_docs_are_checked_by_python() -> None:
    with TestClient(make_api(OpenAPIConfig(guards=[HasToken()]))) as client:
        r = client.get("/openapi.json")
        assert r.status_code == 403 and r.json() == {"detail": "Forbidden"}
        ok = client.get("/openapi.json", headers={"X-Docs-Token": "s3cret"})
        assert ok.status_code == 200 and ok.headers["content-type"] == "application/json"
        assert "/items" in ok.json()["paths"] and "/openapi.json" not in ok.json()["paths"]
        assert client.get("/docs", headers={"X-Docs-Token": "s3cret"}).text.startswith("<!doctype html>")
    with TestClient(make_api(OpenAPIConfig(guards=[staff_only]))) as client:
        assert client.get("/docs/redoc").status_code == 403
        assert client.get("/docs/redoc?staff=1").status_code == 200


class HeaderAuth:
    """An authentication backend: authenticate(request) returns the user or None."""

    async def authenticate(self, request: Request) -> str | None:
        return "alice" if request.headers.get("authorization") == "Bearer ok" else None


def test_docs_behind_auth_answer_401() -> None:
    config = OpenAPIConfig(auth=[HeaderAuth()], docs_url="/reference")
    with TestClient(make_api(config)) as client:
        r = client.get("/reference")
        assert r.status_code == 401 and r.json() == {"detail": "Authentication required"}
        assert client.get("/reference", headers={"Authorization": "Bearer ok"}).status_code == 200
        assert client.get("/openapi.yaml", headers={"Authorization": "Bearer ok"}).text.startswith('"openapi"')
        assert client.post("/items", json={"name": "x"}).status_code == 200  # the API itself is not guarded


def fake_assets(root: Path) -> Path:
    files = {
        "swagger-ui-dist/swagger-ui-bundle.js": "window.SwaggerUIBundle = function () {};",
        "swagger-ui-dist/swagger-ui.css": "body {}",
        "redoc/bundles/redoc.standalone.js": "/* redoc */",
        "@scalar/api-reference/dist/browser/standalone.js": "/* scalar */",
        "rapidoc/dist/rapidoc-min.js": "/* rapidoc */",
        "@stoplight/elements/web-components.min.js": "/* elements */",
        "@stoplight/elements/styles.min.css": "/* elements css */",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_local_assets_served_by_go(tmp_path: Path) -> None:
    root = fake_assets(tmp_path)
    config = OpenAPIConfig(uis=("swagger", "redoc", "scalar", "rapidoc", "stoplight"))
    with TestClient(make_api(config), settings={"DOCS_ASSETS_DIR": str(root)}) as client:
        page = client.get("/docs").text
        assert 'src="/docs/assets/swagger-ui-bundle.js"' in page and "cdn.jsdelivr" not in page
        js = client.get("/docs/assets/swagger-ui-bundle.js")
        assert js.text == "window.SwaggerUIBundle = function () {};"
        assert js.headers["content-type"] == "text/javascript; charset=utf-8"
        assert client.get("/docs/assets/scalar.js").text == "/* scalar */"
        assert client.get("/docs/assets/rapidoc-min.js").text == "/* rapidoc */"
        assert client.get("/docs/assets/elements.css").text == "/* elements css */"
        assert client.get("/docs/assets/other.js").status_code == 404


def test_missing_local_assets_fail_at_start(tmp_path: Path) -> None:
    with pytest.raises(BoltConfigError, match="make docs-assets"):
        TestClient(make_api(), settings={"DOCS_ASSETS_DIR": str(tmp_path)})


def test_route_on_a_docs_path_is_a_start_up_error() -> None:
    api = make_api()

    @api.get("/docs")
    async def mine() -> str:
        return "mine"

    with pytest.raises(BoltConfigError, match="shadowed"):
        TestClient(api)


def test_cdn_only_when_asked() -> None:
    with TestClient(make_api(), settings={"DOCS_CDN": True}) as client:
        assert "https://cdn.jsdelivr.net/npm/swagger-ui-dist@" in client.get("/docs").text
        assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 404


def test_missing_bundled_assets_stop_start_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(ui, "BUNDLED", tmp_path)
    with pytest.raises(BoltConfigError, match="docs UIs' assets are not installed"), TestClient(make_api()):
        pass


def test_guarded_docs_assets_are_served_with_file_response_roots(tmp_path: Path) -> None:
    settings = {"FILE_RESPONSE_ROOTS": [str(tmp_path)]}
    with TestClient(make_api(OpenAPIConfig(guards=[HasToken()])), settings=settings) as client:
        token = {"X-Docs-Token": "s3cret"}
        assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 403
        r = client.get("/docs/assets/swagger-ui-bundle.js", headers=token)
        assert r.status_code == 200 and len(r.content) > 100_000
