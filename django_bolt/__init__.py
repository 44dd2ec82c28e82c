"""django-bolt-go: async Django APIs served by a Go HTTP server.

Public API::

    from django_bolt import BoltAPI, Router, HTTPException, Request
"""

from ._server.ratelimit import rate_limit
from .api import BoltAPI, Router
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
