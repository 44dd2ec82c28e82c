"""Serving the document and the UIs: computed once at start-up, answered by Go from memory
(``static_responses`` in the server config), or by Python routes when the docs are guarded."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..exceptions import BoltConfigError
from . import _yaml, ui
from .config import OpenAPIConfig, doc_aliases
from .document import build_document
from .strict import untyped_objects
from .ui import ui_paths

if TYPE_CHECKING:
    from .._routing.route import Route
    from ..api import BoltAPI


def resolve_config(apis: Sequence[BoltAPI]) -> OpenAPIConfig:
    """The first API's explicit ``openapi_config`` wins; the default otherwise."""
    for api in apis:
        if api.openapi_config is not None:
            return api.openapi_config
    return OpenAPIConfig()


def rendered(
    routes: Sequence[Route], config: OpenAPIConfig, assets_dir: str | None, cdn: bool = False
) -> list[dict[str, Any]]:
    """Every docs reply as ``{path, content_type, body}`` (or ``file`` for local assets).
    The UIs' assets: the package's own copies, those of ``assets_dir``, or the CDN's."""
    doc = build_document(routes, config)
    if config.strict and (untyped := untyped_objects(doc)):
        raise BoltConfigError(
            "OpenAPIConfig(strict=True): these schemas are untyped objects (declare their fields): "
            + ", ".join(untyped[:10])
        )
    out: list[dict[str, Any]] = [
        {"path": config.openapi_url, "content_type": "application/json", "body": json.dumps(doc, ensure_ascii=False)}
    ]
    yaml_body = _yaml.dump(doc)
    if config.yaml_url:
        out.append({"path": config.yaml_url, "content_type": "application/yaml", "body": yaml_body})
    for path, kind in doc_aliases(config):  # django-bolt's /docs/openapi.json|yaml|yml
        body = out[0]["body"] if kind == "json" else yaml_body
        out.append(
            {"path": path, "content_type": "application/json" if kind == "json" else "application/yaml", "body": body}
        )
    urls = {name: url for name, (_, url, _) in ui.ASSETS.items()}
    if not cdn:
        uis = list(config.uis)
        files = ui.asset_files(uis, assets_dir) if assets_dir else ui.bundled_files(uis)
        for name, file in files.items():
            served = f"{config.path}/assets/{name}"
            urls[name] = served
            out.append({"path": served, "content_type": ui.ASSETS[name][2], "file": str(file)})
    for name, path in ui_paths(config).items():
        body = ui.page(name, config.title, config.openapi_url, urls, offline=not cdn)
        out.append({"path": path, "content_type": "text/html; charset=utf-8", "body": body})
    return out


def static_responses(
    apis: Sequence[BoltAPI], routes: Sequence[Route], assets_dir: str | None, cdn: bool = False
) -> list[dict[str, Any]]:
    """What Go serves for the docs (nothing when they are disabled). Guarded docs are
    Python routes: their replies are handed to them instead."""
    config = resolve_config(apis)
    if not config.enabled:
        return []
    replies = rendered(routes, config, assets_dir, cdn)
    if not config.guarded:
        return replies
    owner = next(api for api in apis if api.openapi_config is config)
    owner.openapi_replies.clear()
    for r in replies:
        is_file = "file" in r
        owner.openapi_replies[r["path"]] = (r["content_type"], r["file"] if is_file else r["body"], is_file)
    return []


def file_roots_with_docs(roots: list[str] | None, assets_dir: str | None) -> list[str] | None:
    """``FILE_RESPONSE_ROOTS`` plus the docs assets' directory: guarded docs send their assets
    as FileResponses, from a directory chosen at start-up (never from user input)."""
    if roots is None:
        return None
    return [*roots, assets_dir or str(ui.BUNDLED)]
