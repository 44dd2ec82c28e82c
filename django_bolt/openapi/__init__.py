"""OpenAPI 3.1 for the served APIs: the document, built once at start-up from the
registered routes and the very parameter plans the runtime uses, and the docs UIs.

    from django_bolt import BoltAPI
    from django_bolt.openapi import OpenAPIConfig

    api = BoltAPI(openapi_config=OpenAPIConfig(title="Shop", version="2.0.0"))
"""

from .config import OpenAPIConfig
from .document import build_document, openapi_path
from .serving import resolve_config, static_responses
from .strict import untyped_objects

__all__ = [
    "OpenAPIConfig",
    "build_document",
    "openapi_path",
    "resolve_config",
    "static_responses",
    "untyped_objects",
]

# django-bolt's OpenAPI objects and render plugins (issue 18)
from .spec import (  # noqa: E402
    Contact,
    ExternalDocumentation,
    JsonRenderPlugin,
    License,
    OpenAPIRenderPlugin,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    Server,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
    Tag,
    YamlRenderPlugin,
)

__all__ += [
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
]
