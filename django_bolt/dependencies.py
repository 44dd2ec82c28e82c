"""Ready-made dependencies for ``Depends(...)`` and the helpers django-bolt users import from
here::

    from django_bolt import Depends
    from django_bolt.dependencies import get_current_user

    @api.get("/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
    async def me(user=Depends(get_current_user)):
        return {"username": user.username}
"""

from __future__ import annotations

from typing import Annotated, Any

from .params import Depends
from .request import Request
from .types import AuthContext

__all__ = [
    "CurrentUser",
    "Depends",
    "OptionalCurrentUser",
    "extract_user_id_from_context",
    "get_auth_context",
    "get_current_user",
    "get_optional_user",
]


async def get_current_user(request: Request) -> Any:
    """The authenticated Django user (loaded from ``request.context["user_id"]`` or the
    session); ``None`` when nobody is authenticated, as in django-bolt."""
    user = await request.auser()
    return user if getattr(user, "is_authenticated", False) else None


async def get_optional_user(request: Request) -> Any:
    """Same as ``get_current_user`` (kept for the name)."""
    return await get_current_user(request)


def extract_user_id_from_context(request: Request) -> str | None:
    """``request.context["user_id"]`` as a string, or None without authentication."""
    uid = request.context.get("user_id")
    return None if uid is None else str(uid)


def get_auth_context(request: Request) -> AuthContext:
    """The request's authentication facts as an ``AuthContext``."""
    return AuthContext.from_context(request.context)


#: ``user: CurrentUser`` in a handler: the authenticated user (None when anonymous).
CurrentUser = Annotated[Any, Depends(get_current_user)]
#: Same, named for handlers that accept anonymous requests.
OptionalCurrentUser = Annotated[Any, Depends(get_optional_user)]
