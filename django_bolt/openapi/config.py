"""``OpenAPIConfig``: what the generated document says about the API and where it is served."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import BoltConfigError
from .spec import as_dict

#: every docs UI, and the ones served by default (as django-bolt's default render plugins)
UI_NAMES = ("swagger", "redoc", "scalar", "rapidoc", "stoplight")


@dataclass(frozen=True)
class OpenAPIConfig:
    """Pass as ``BoltAPI(openapi_config=OpenAPIConfig(...))``.

    The document is built once at start-up from every served API and answered by Go from
    memory at ``openapi_url`` (JSON) and ``yaml_url``; the UIs are at ``path`` (Swagger UI),
    ``path + "/redoc"``, ``"/scalar"``, ``"/rapidoc"`` and ``"/stoplight"``. ``enabled=False`` removes all of them.
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
    #: which UIs are served: any of UI_NAMES (the first one at ``path``, the others at
    #: ``path + "/<name>"``)
    uis: Sequence[str] = UI_NAMES
    guards: Sequence[Any] = ()
    auth: Sequence[Any] = ()
    #: extra tag objects (name, description) for the document's top-level ``tags``
    tags: Sequence[dict[str, Any]] = field(default_factory=tuple)
    #: django-bolt's name for ``path``; when given it wins
    docs_url: str | None = None
    # django-bolt's keywords (issue 18); objects of .spec (Contact, Server...) or dicts
    summary: str | None = None
    external_docs: Any = None
    security: Sequence[dict[str, Any]] | None = None
    components: Any = None
    webhooks: dict[str, Any] | None = None
    #: handler docstrings as operation descriptions (on, as before)
    use_handler_docstrings: bool = True
    #: routes under these path prefixes are left out of the document
    exclude_paths: Sequence[str] = ("/admin", "/static")
    include_error_responses: bool = True
    #: which docs pages (``spec.SwaggerRenderPlugin()``...); replaces ``uis`` when given
    render_plugins: Sequence[Any] = ()
    #: True: the docs need a logged-in Django user (session); a callable ``fn(user)`` decides
    django_auth: Any = None
    #: True: start-up fails when an operation describes a declared type as an untyped
    #: object (what ``bolt_openapi --check`` reports)
    strict: bool = False

    def __post_init__(self) -> None:
        if self.docs_url is not None:
            object.__setattr__(self, "path", self.docs_url)
        for name in ("contact", "license", "external_docs", "components"):
            object.__setattr__(self, name, as_dict(getattr(self, name)))
        object.__setattr__(self, "servers", tuple(as_dict(list(self.servers))))
        object.__setattr__(self, "tags", tuple(as_dict(list(self.tags))))
        if self.render_plugins:
            apply_render_plugins(self)
        if self.django_auth:
            object.__setattr__(self, "guards", (*self.guards, django_auth_guard(self.django_auth)))
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


def apply_render_plugins(config: OpenAPIConfig) -> None:
    """django-bolt's ``render_plugins`` as our ``uis``, ``openapi_url`` and ``yaml_url``."""
    uis: list[str] = []
    for plugin in config.render_plugins:
        kind = getattr(plugin, "ui", None)
        if kind == "json" and plugin.path:
            object.__setattr__(config, "openapi_url", plugin.path)
        elif kind == "yaml" and plugin.path:
            object.__setattr__(config, "yaml_url", plugin.path)
        elif kind in UI_NAMES:
            uis.append(kind)
        elif kind not in ("json", "yaml"):
            raise BoltConfigError(f"OpenAPIConfig(render_plugins=...): {plugin!r} is not a render plugin")
    object.__setattr__(config, "uis", tuple(uis))


def django_auth_guard(rule: Any) -> Any:
    """The guard of ``django_auth``: a logged-in Django user (``True``), or ``rule(user)``."""

    async def guard(request: Any) -> bool:
        user = await request.auser()
        if not getattr(user, "is_authenticated", False):
            return False
        return True if rule is True else bool(rule(user))

    return guard


def doc_aliases(config: OpenAPIConfig) -> list[tuple[str, str]]:
    """django-bolt's document paths under the docs path, besides ours: (path, "json"|"yaml")."""
    own = {config.openapi_url, config.yaml_url}
    wanted = [(f"{config.path}/openapi.json", "json"), (f"{config.path}/openapi.yaml", "yaml")]
    wanted.append((f"{config.path}/openapi.yml", "yaml"))
    return [(p, kind) for p, kind in wanted if p not in own]
