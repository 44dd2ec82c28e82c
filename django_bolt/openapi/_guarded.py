"""Guarded docs: with ``OpenAPIConfig(guards=..., auth=...)`` the document and the UIs are
Python routes that check every request first (Go cannot run user code). The replies are
still computed once, at start-up (``serving.static_responses`` fills them in)."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from ..exceptions import HTTPException
from ..request import Request
from ..responses import FileResponse, Response
from .config import doc_aliases
from .ui import ui_paths

if TYPE_CHECKING:
    from ..api import BoltAPI
    from .config import OpenAPIConfig  # noqa: TC004 - also imported above for doc_aliases


async def _call(check: Any, method: str, request: Request) -> Any:
    fn = getattr(check, method, None) or check
    result = fn(request)
    return await result if inspect.isawaitable(result) else result


async def check_access(config: OpenAPIConfig, request: Request) -> None:
    """401 unless one ``auth`` backend authenticates; 403 unless every guard allows."""
    if config.auth:
        for backend in config.auth:
            if await _call(backend, "authenticate", request):
                break
        else:
            raise HTTPException(401, "Authentication required")
    for guard in config.guards:
        if not await _call(guard, "has_permission", request):
            raise HTTPException(403, "Forbidden")


def register_guarded_routes(api: BoltAPI, config: OpenAPIConfig) -> None:
    """Python routes for the guarded docs on ``api``; ``api.openapi_replies`` is filled at
    start-up with path -> (content type, body or file, is_file)."""
    replies = api.openapi_replies
    paths = [config.openapi_url, *([config.yaml_url] if config.yaml_url else []), *ui_paths(config).values()]
    paths += [path for path, _ in doc_aliases(config)]

    async def docs(request: Request) -> Response:
        await check_access(config, request)
        return _reply(request.path)

    async def docs_asset(request: Request, name: str) -> Response:
        await check_access(config, request)
        return _reply(request.path)

    def _reply(path: str) -> Response:
        found = replies.get(path)
        if found is None:
            raise HTTPException(404, "Not Found")
        content_type, content, is_file = found
        if is_file:
            return FileResponse(content, media_type=content_type, content_disposition_type="inline")
        return Response(content.encode(), media_type=content_type)

    for path in paths:
        api.add_route("GET", path, docs, include_in_schema=False, name="openapi_docs")
    api.add_route("GET", f"{config.path}/assets/{{name}}", docs_asset, include_in_schema=False, name="openapi_asset")
