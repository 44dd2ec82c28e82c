"""The docs UIs (Swagger UI, Redoc, Scalar, RapiDoc, Stoplight Elements): one small HTML page each, served by Go.

Their JavaScript and CSS are served by Go under ``<docs path>/assets/``, by default from the
copies inside the package (``static/``: setup.py fetches them from npm at build time, see
docs-assets/package.json), so ``/docs`` works with no internet. ``DJANGO_BOLT["DOCS_ASSETS_DIR"]``
points at another npm ``node_modules`` directory instead; ``DJANGO_BOLT["DOCS_CDN"] = True``
makes the pages load them from the public CDN (pinned versions), as FastAPI does."""

from __future__ import annotations

import html
import json
from pathlib import Path

from ..exceptions import BoltConfigError
from .config import OpenAPIConfig

#: The assets shipped inside the package (copied there by setup.py; never committed).
BUNDLED = Path(__file__).resolve().parent / "static"

SWAGGER_VERSION = "5.35.0"
REDOC_VERSION = "2.5.4"
SCALAR_VERSION = "1.76.0"
RAPIDOC_VERSION = "9.3.8"
ELEMENTS_VERSION = "9.0.25"
_CDN = "https://cdn.jsdelivr.net/npm/"

#: served file name -> (path inside the npm packages directory, CDN URL, content type)
ASSETS: dict[str, tuple[str, str, str]] = {
    "swagger-ui-bundle.js": (
        "swagger-ui-dist/swagger-ui-bundle.js",
        f"{_CDN}swagger-ui-dist@{SWAGGER_VERSION}/swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
    ),
    "swagger-ui.css": (
        "swagger-ui-dist/swagger-ui.css",
        f"{_CDN}swagger-ui-dist@{SWAGGER_VERSION}/swagger-ui.css",
        "text/css; charset=utf-8",
    ),
    "redoc.standalone.js": (
        "redoc/bundles/redoc.standalone.js",
        f"{_CDN}redoc@{REDOC_VERSION}/bundles/redoc.standalone.js",
        "text/javascript; charset=utf-8",
    ),
    "scalar.js": (
        "@scalar/api-reference/dist/browser/standalone.js",
        f"{_CDN}@scalar/api-reference@{SCALAR_VERSION}/dist/browser/standalone.js",
        "text/javascript; charset=utf-8",
    ),
    "rapidoc-min.js": (
        "rapidoc/dist/rapidoc-min.js",
        f"{_CDN}rapidoc@{RAPIDOC_VERSION}/dist/rapidoc-min.js",
        "text/javascript; charset=utf-8",
    ),
    "elements.js": (
        "@stoplight/elements/web-components.min.js",
        f"{_CDN}@stoplight/elements@{ELEMENTS_VERSION}/web-components.min.js",
        "text/javascript; charset=utf-8",
    ),
    "elements.css": (
        "@stoplight/elements/styles.min.css",
        f"{_CDN}@stoplight/elements@{ELEMENTS_VERSION}/styles.min.css",
        "text/css; charset=utf-8",
    ),
}
_UI_ASSETS = {
    "swagger": ("swagger-ui-bundle.js", "swagger-ui.css"),
    "redoc": ("redoc.standalone.js",),
    "scalar": ("scalar.js",),
    "rapidoc": ("rapidoc-min.js",),
    "stoplight": ("elements.js", "elements.css"),
}


def _js(value: str) -> str:
    """A JavaScript string literal that cannot close the <script> element."""
    return json.dumps(value).replace("</", "<\\/")


def _head(title: str, extra: str = "") -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>{extra}</head>"
    )


def page(ui: str, title: str, spec_url: str, asset_url: dict[str, str], offline: bool = False) -> str:
    """The HTML of one UI; ``asset_url`` maps asset file names to their URLs. ``offline``
    (local assets) also keeps Scalar and RapiDoc from fetching their web fonts."""
    if ui == "swagger":
        css = f'<link rel="stylesheet" href="{html.escape(asset_url["swagger-ui.css"])}">'
        return (
            _head(title + " - Swagger UI", css) + '<body><div id="swagger-ui"></div>'
            f'<script src="{html.escape(asset_url["swagger-ui-bundle.js"])}"></script>'
            f'<script>window.ui = SwaggerUIBundle({{url: {_js(spec_url)}, dom_id: "#swagger-ui", '
            "deepLinking: true});</script></body></html>\n"
        )
    if ui == "redoc":
        return (
            _head(title + " - ReDoc", "<style>body{margin:0;padding:0}</style>")
            + f'<body><redoc spec-url="{html.escape(spec_url)}"></redoc>'
            f'<script src="{html.escape(asset_url["redoc.standalone.js"])}"></script></body></html>\n'
        )
    if ui == "scalar":
        return (
            _head(title + " - Scalar") + '<body><div id="app"></div>'
            f'<script src="{html.escape(asset_url["scalar.js"])}"></script>'
            f"<script>Scalar.createApiReference('#app', {{url: {_js(spec_url)}"
            f"{', withDefaultFonts: false' if offline else ''}}});</script></body></html>\n"
        )
    if ui == "rapidoc":
        # a web component (an ES module, as RapiDoc documents): the spec URL is an attribute;
        # offline, load-fonts="false" keeps it from fetching Open Sans from Google Fonts
        fonts = ' load-fonts="false"' if offline else ""
        return (
            _head(title + " - RapiDoc")
            + f'<body><rapi-doc spec-url="{html.escape(spec_url)}" render-style="read"{fonts}></rapi-doc>'
            f'<script type="module" src="{html.escape(asset_url["rapidoc-min.js"])}"></script></body></html>\n'
        )
    if ui == "stoplight":
        css = f'<link rel="stylesheet" href="{html.escape(asset_url["elements.css"])}">'
        return (
            _head(title + " - Stoplight Elements", css + "<style>body{margin:0;height:100vh}</style>")
            + f'<body><elements-api apiDescriptionUrl="{html.escape(spec_url)}" router="hash" '
            'layout="sidebar"></elements-api>'
            f'<script src="{html.escape(asset_url["elements.js"])}"></script></body></html>\n'
        )
    raise BoltConfigError(f"unknown docs UI {ui!r}")


def asset_files(uis: list[str], assets_dir: str) -> dict[str, Path]:
    """served name -> file, for the assets the enabled UIs need; missing files are an error."""
    root = Path(assets_dir)
    out: dict[str, Path] = {}
    for ui in uis:
        for name in _UI_ASSETS[ui]:
            file = root / ASSETS[name][0]
            if not file.is_file():
                raise BoltConfigError(
                    f"DJANGO_BOLT['DOCS_ASSETS_DIR'] = {assets_dir!r} has no {ASSETS[name][0]}; run "
                    "`make docs-assets` (the npm packages of docs-assets/package.json) and "
                    "point the setting at its node_modules directory, or set it to None to use the CDN"
                )
            out[name] = file.resolve()
    return out


def bundled_files(uis: list[str]) -> dict[str, Path]:
    """served name -> file inside the package, for the assets the enabled UIs need."""
    out: dict[str, Path] = {}
    for ui in uis:
        for name in _UI_ASSETS[ui]:
            file = BUNDLED / name
            if not file.is_file():
                raise BoltConfigError(
                    f"the docs UIs' assets are not installed ({file} is missing): build the package "
                    "(`pip install .` or `make build`: setup.py fetches them from npm), or set "
                    "DJANGO_BOLT['DOCS_CDN'] = True to load them from the public CDN, or turn the docs off "
                    "with OpenAPIConfig(enabled=False)"
                )
            out[name] = file
    return out


def ui_paths(config: OpenAPIConfig) -> dict[str, str]:
    """UI name -> path: the first listed UI at ``path``, the others below it."""
    return {name: config.path if i == 0 else f"{config.path}/{name}" for i, name in enumerate(config.uis)}
