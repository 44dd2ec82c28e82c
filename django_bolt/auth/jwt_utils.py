"""django-bolt's ``django_bolt.auth.jwt_utils``: the JWT helpers under the module name its
users import them from. They live in ``django_bolt.auth.token`` (issuing) and
``django_bolt.dependencies`` (reading the request); this module only names them::

    from django_bolt.auth.jwt_utils import create_jwt_for_user, get_current_user

    token = create_jwt_for_user(user, expires_in=7200, extra_claims={"role": "admin"})

    @api.get("/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
    async def me(user=Depends(get_current_user)):
        return {"username": user.username}
"""

from __future__ import annotations

from ..dependencies import extract_user_id_from_context, get_auth_context, get_current_user
from .token import create_jwt_for_user
from .tokens import create_token_pair, rotate_refresh_token

__all__ = [
    "create_jwt_for_user",
    "create_token_pair",
    "extract_user_id_from_context",
    "get_auth_context",
    "get_current_user",
    "rotate_refresh_token",
]
