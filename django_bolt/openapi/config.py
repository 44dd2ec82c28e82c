"""``OpenAPIConfig``: what the generated document says about the API and where it is served."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import BoltConfigError

UI_NAMES = ("swagger", "redoc", "scalar")


@dataclass(frozen=True)
class OpenAPIConfig:
    """Pass as ``BoltAPI(openapi_config=OpenAPIConfig(...))``.

    The document is built once at start-up from every served API and answered by Go from
    memory at ``openapi_url`` (JSON) and ``yaml_url``; the UIs are at ``path`` (Swagger UI),
    ``path + "/redoc"`` and ``path + "/scalar"``. ``enabled=False`` removes all of them.
    ``guards`` (callables or objects with ``has_permission(request)``) and ``auth`` protect
    the document and the UIs; they are then answered by Python instead of Go.
    """

    title: str = "API"
    version: str = "1.0.0"
    description: str | None = None
    servers: Sequence[dict[str, Any]] = ()
    contact: dict[str, Any] | None = None
    license: dict[str, Any] | None = None
    terms_of_service: str | None = None
    path: str = "/docs"
    openapi_url: str = "/openapi.json"
    yaml_url: str | None = "/openapi.yaml"
    enabled: bool = True
    #: which UIs are served: any of "swagger", "redoc", "scalar" (the first one at ``path``)
    uis: Sequence[str] = UI_NAMES
    guards: Sequence[Any] = ()
    auth: Sequence[Any] = ()
    #: extra tag objects (name, description) for the document's top-level ``tags``
    tags: Sequence[dict[str, Any]] = field(default_factory=tuple)
    #: django-bolt's name for ``path``; when given it wins
    docs_url: str | None = None

    def __post_init__(self) -> None:
        if self.docs_url is not None:
            object.__setattr__(self, "path", self.docs_url)
        for name in ("path", "openapi_url"):
            _check_path(name, getattr(self, name))
        if self.yaml_url is not None:
            _check_path("yaml_url", self.yaml_url)
        if unknown := [u for u in self.uis if u not in UI_NAMES]:
            raise BoltConfigError(f"OpenAPIConfig(uis=...) knows {', '.join(UI_NAMES)}, not {unknown}")
        for g in (*self.guards, *self.auth):
            if not (callable(g) or hasattr(g, "has_permission") or hasattr(g, "authenticate")):
                raise BoltConfigError(f"OpenAPIConfig guards/auth must be callables or guard objects, got {g!r}")

    @property
    def guarded(self) -> bool:
        return bool(self.guards or self.auth)


def _check_path(name: str, value: str) -> None:
    if not value.startswith("/") or any(c in value for c in "?#{} ") or (len(value) > 1 and value.endswith("/")):
        raise BoltConfigError(f"OpenAPIConfig {name}={value!r} must be a plain path starting with '/'")
