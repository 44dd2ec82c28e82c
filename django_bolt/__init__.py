"""django-bolt-go: async Django APIs served by a Go HTTP server.

Public API::

    from django_bolt import BoltAPI, Router, HTTPException, Request
"""

from .api import BoltAPI, Router
from .compression import CompressionConfig
from .exceptions import BoltConfigError, HTTPException, RequestValidationError
from .request import Request

__version__ = "0.1.0"

__all__ = [
    "BoltAPI",
    "BoltConfigError",
    "CompressionConfig",
    "HTTPException",
    "Request",
    "RequestValidationError",
    "Router",
    "__version__",
]
