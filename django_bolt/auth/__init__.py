"""Authentication and guards, as in django-bolt: backends validated in Go, guards
evaluated in Go from the validated claims (or in Python for your own guards)::

    from django_bolt.auth import JWTAuthentication, IsAuthenticated, HasPermission

    @api.get("/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
    async def me(request):
        return {"user_id": request.context["user_id"]}

Defaults for routes without ``auth=``/``guards=``: ``settings.BOLT_AUTHENTICATION_CLASSES``
and ``settings.BOLT_DEFAULT_PERMISSION_CLASSES``. See docs/auth.md.
"""

from .backends import (
    APIKeyAuthentication,
    BaseAuthentication,
    JWTAuthentication,
    SessionAuthentication,
    get_default_authentication_classes,
)
from .guards import (
    AllowAny,
    BasePermission,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    Requires,
    get_default_permission_classes,
)
from .revocation import (
    DjangoCacheRevocation,
    DjangoORMRevocation,
    InMemoryRevocation,
    RevocationStore,
    SharedRevocation,
    create_revocation_handler,
)
from .token import Token, create_jwt_for_user

__all__ = [
    "APIKeyAuthentication",
    "AllowAny",
    "BaseAuthentication",
    "BasePermission",
    "DjangoCacheRevocation",
    "HasAllPermissions",
    "HasAnyPermission",
    "HasPermission",
    "InMemoryRevocation",
    "IsAdminUser",
    "IsAuthenticated",
    "IsStaff",
    "JWTAuthentication",
    "Requires",
    "RevocationStore",
    "SessionAuthentication",
    "SharedRevocation",
    "Token",
    "create_jwt_for_user",
    "get_default_authentication_classes",
    "get_default_permission_classes",
]

# django-bolt's names (issue 18)
from ..dependencies import extract_user_id_from_context, get_auth_context, get_current_user  # noqa: E402
from ..types import AuthContext  # noqa: E402
from .registry import get_registered_backend, load_user, register_auth_backend  # noqa: E402

__all__ += [
    "AuthContext",
    "DjangoORMRevocation",
    "create_revocation_handler",
    "extract_user_id_from_context",
    "get_auth_context",
    "get_current_user",
    "get_registered_backend",
    "load_user",
    "register_auth_backend",
]

# Token pairs with refresh rotation (django-bolt 0.10+, django_bolt.auth.tokens)
from .tokens import (  # noqa: E402
    TokenPair,
    TokenRotationError,
    add_refresh_route,
    create_token_pair,
    rotate_refresh_token,
    set_token_cookies,
)

__all__ += [
    "TokenPair",
    "TokenRotationError",
    "add_refresh_route",
    "create_token_pair",
    "rotate_refresh_token",
    "set_token_cookies",
]

# django-bolt 0.11's ready-made cookie endpoints (django_bolt.auth.views)
from .views import JWTAuthViews, LoginCredentials  # noqa: E402

__all__ += ["JWTAuthViews", "LoginCredentials"]
