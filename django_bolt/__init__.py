"""django-bolt-go: async Django APIs served by a Go HTTP server.

Public API::

    from django_bolt import BoltAPI, Router, HTTPException, Request
"""

from ._server.ratelimit import rate_limit
from .api import BoltAPI, Router
from .background import BackgroundTasks
from .compression import CompressionConfig
from .datastructures import UploadFile
from .exceptions import BoltConfigError, HTTPException, RequestValidationError
from .openapi import OpenAPIConfig
from .request import Request
from .websocket import (
    CloseCode,
    WebSocket,
    WebSocketClose,
    WebSocketDisconnect,
    WebSocketException,
    WebSocketState,
)

__version__ = "0.1.0"

__all__ = [
    "BackgroundTasks",
    "BoltAPI",
    "BoltConfigError",
    "CompressionConfig",
    "HTTPException",
    "OpenAPIConfig",
    "Request",
    "RequestValidationError",
    "Router",
    "UploadFile",
    "__version__",
    "rate_limit",
    "CloseCode",
    "WebSocket",
    "WebSocketClose",
    "WebSocketDisconnect",
    "WebSocketException",
    "WebSocketState",
]

# Class-based views, pagination, filtering (issue 19)
from .filtering import FieldFilter, OrderingFilter, SearchFilter  # noqa: E402
from .pagination import (  # noqa: E402
    CursorPagination,
    LimitOffsetPagination,
    PageNumberPagination,
    PaginatedResponse,
    PaginationBase,
    paginate,
)
from .views import (  # noqa: E402
    APIView,
    CreateMixin,
    DestroyMixin,
    ListMixin,
    ModelViewSet,
    PartialUpdateMixin,
    ReadOnlyModelViewSet,
    RetrieveMixin,
    UpdateMixin,
    ViewSet,
    action,
)

__all__ += [
    "APIView",
    "CreateMixin",
    "CursorPagination",
    "DestroyMixin",
    "FieldFilter",
    "LimitOffsetPagination",
    "ListMixin",
    "ModelViewSet",
    "OrderingFilter",
    "PageNumberPagination",
    "PaginatedResponse",
    "PaginationBase",
    "PartialUpdateMixin",
    "ReadOnlyModelViewSet",
    "RetrieveMixin",
    "SearchFilter",
    "UpdateMixin",
    "ViewSet",
    "action",
    "paginate",
]

# django-bolt's top-level names (issue 18), so its users' imports work unchanged. As in
# django-bolt, the top-level ``Cookie`` is the response cookie dataclass; the parameter
# marker is ``django_bolt.params.Cookie``.
from .auth import (  # noqa: E402
    AllowAny,
    APIKeyAuthentication,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    JWTAuthentication,
    Token,
    create_jwt_for_user,
)
from .cookies import Cookie  # noqa: E402
from .dependencies import extract_user_id_from_context, get_auth_context, get_current_user  # noqa: E402
from .enums import FileSize, MediaType  # noqa: E402
from .middleware import (  # noqa: E402
    BaseMiddleware,
    DjangoMiddleware,
    ErrorHandlerMiddleware,
    LoggingMiddleware,
    Middleware,
    MiddlewareProtocol,
    TimingMiddleware,
    cors,
    middleware,
    no_compress,
    skip_middleware,
)
from .params import Body, Depends, File, Form, Header, Path, Query  # noqa: E402
from .responses import HTML, JSON, FileResponse, PlainText, Redirect, Response, StreamingResponse  # noqa: E402
from .types import APIKeyAuth, AuthContext, DjangoModel, JWTClaims, TimingState, TracingState, UserType  # noqa: E402
from .types import Request as RequestProtocol  # noqa: E402

__all__ += [
    "HTML",
    "JSON",
    "APIKeyAuth",
    "APIKeyAuthentication",
    "AllowAny",
    "AuthContext",
    "BaseMiddleware",
    "Body",
    "Cookie",
    "Depends",
    "DjangoMiddleware",
    "DjangoModel",
    "ErrorHandlerMiddleware",
    "File",
    "FileResponse",
    "FileSize",
    "Form",
    "HasAllPermissions",
    "HasAnyPermission",
    "HasPermission",
    "Header",
    "IsAdminUser",
    "IsAuthenticated",
    "IsStaff",
    "JWTAuthentication",
    "JWTClaims",
    "LoggingMiddleware",
    "MediaType",
    "Middleware",
    "MiddlewareProtocol",
    "Path",
    "PlainText",
    "Query",
    "Redirect",
    "RequestProtocol",
    "Response",
    "StreamingResponse",
    "TimingMiddleware",
    "TimingState",
    "Token",
    "TracingState",
    "UserType",
    "cors",
    "create_jwt_for_user",
    "extract_user_id_from_context",
    "get_auth_context",
    "get_current_user",
    "middleware",
    "no_compress",
    "skip_middleware",
]

from .openapi import (  # noqa: E402
    JsonRenderPlugin,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)

__all__ += [
    "JsonRenderPlugin",
    "RapidocRenderPlugin",
    "RedocRenderPlugin",
    "ScalarRenderPlugin",
    "StoplightRenderPlugin",
    "SwaggerRenderPlugin",
    "YamlRenderPlugin",
]
