"""django-bolt's OpenAPI objects, accepted by ``OpenAPIConfig`` wherever a dict is:
``Contact``, ``License``, ``Server``, ``Tag``, ``ExternalDocumentation`` (each becomes its
OpenAPI 3.1 object through ``to_dict``), and the render plugins of ``render_plugins``."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

__all__ = [
    "Contact",
    "ExternalDocumentation",
    "JsonRenderPlugin",
    "License",
    "OpenAPIRenderPlugin",
    "RapidocRenderPlugin",
    "RedocRenderPlugin",
    "ScalarRenderPlugin",
    "Server",
    "StoplightRenderPlugin",
    "SwaggerRenderPlugin",
    "Tag",
    "YamlRenderPlugin",
    "as_dict",
]

_CAMEL = {"external_docs": "externalDocs", "terms_of_service": "termsOfService"}


def as_dict(value: Any) -> Any:
    """An OpenAPI object (these dataclasses, or dicts/lists of them) as plain JSON data."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: as_dict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_dict(v) for v in value]
    return value


class _Spec:
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is not None and value != {}:
                out[_CAMEL.get(f.name, f.name)] = as_dict(value)
        return out


@dataclass
class Contact(_Spec):
    name: str | None = None
    url: str | None = None
    email: str | None = None


@dataclass
class License(_Spec):
    name: str = ""
    identifier: str | None = None
    url: str | None = None


@dataclass
class Server(_Spec):
    url: str = "/"
    description: str | None = None
    variables: dict[str, Any] | None = None


@dataclass
class ExternalDocumentation(_Spec):
    url: str = ""
    description: str | None = None


@dataclass
class Tag(_Spec):
    name: str = ""
    description: str | None = None
    external_docs: ExternalDocumentation | None = None


@dataclass
class OpenAPIRenderPlugin:
    """A docs page. Ours serves Swagger UI, ReDoc, Scalar, RapiDoc and Stoplight Elements, one page each;
    a plugin picks which of them are served (``ui``), in order (the first at the docs path)."""

    path: str | None = None
    ui: str = field(default="", init=False)


@dataclass
class SwaggerRenderPlugin(OpenAPIRenderPlugin):
    version: str | None = None
    js_url: str | None = None
    css_url: str | None = None
    standalone_preset_js_url: str | None = None

    def __post_init__(self) -> None:
        self.ui = "swagger"


@dataclass
class RedocRenderPlugin(OpenAPIRenderPlugin):
    version: str | None = None
    js_url: str | None = None
    google_fonts: bool = True

    def __post_init__(self) -> None:
        self.ui = "redoc"


@dataclass
class ScalarRenderPlugin(OpenAPIRenderPlugin):
    version: str | None = None
    js_url: str | None = None
    css_url: str | None = None
    options: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.ui = "scalar"


@dataclass
class RapidocRenderPlugin(OpenAPIRenderPlugin):
    """RapiDoc, served at ``<docs path>/rapidoc`` (or at the docs path when listed first)."""

    version: str | None = None
    js_url: str | None = None

    def __post_init__(self) -> None:
        self.ui = "rapidoc"


@dataclass
class StoplightRenderPlugin(OpenAPIRenderPlugin):
    """Stoplight Elements, served at ``<docs path>/stoplight`` (or at the docs path when listed first)."""

    version: str | None = None
    js_url: str | None = None
    css_url: str | None = None

    def __post_init__(self) -> None:
        self.ui = "stoplight"


@dataclass
class JsonRenderPlugin(OpenAPIRenderPlugin):
    """The JSON document (its ``path`` becomes ``openapi_url``)."""

    media_type: str = "application/vnd.oai.openapi+json"

    def __post_init__(self) -> None:
        self.ui = "json"


@dataclass
class YamlRenderPlugin(OpenAPIRenderPlugin):
    """The YAML document (its ``path`` becomes ``yaml_url``)."""

    media_type: str = "text/yaml; charset=utf-8"

    def __post_init__(self) -> None:
        self.ui = "yaml"
