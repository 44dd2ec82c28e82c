"""``django_bolt.jwt_utils``: the module name django-bolt's docstrings use for
``django_bolt.auth.jwt_utils`` (the same names)."""

from __future__ import annotations

from .auth.jwt_utils import (
    create_jwt_for_user,
    create_token_pair,
    extract_user_id_from_context,
    get_auth_context,
    get_current_user,
    rotate_refresh_token,
)

__all__ = [
    "create_jwt_for_user",
    "create_token_pair",
    "extract_user_id_from_context",
    "get_auth_context",
    "get_current_user",
    "rotate_refresh_token",
]
