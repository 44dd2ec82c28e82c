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
