"""django-bolt's backend registry: ``register_auth_backend(name, backend)`` and
``load_user(user_id, backend_name)``, for code that loads users by backend name."""

from __future__ import annotations

from typing import Any

from .backends import BaseAuthentication

__all__ = ["get_registered_backend", "load_user", "register_auth_backend"]

_backends: dict[str, BaseAuthentication] = {}


def register_auth_backend(name: str, backend: BaseAuthentication) -> None:
    """Make ``backend`` findable by ``name`` (``request.context["auth_backend"]``)."""
    _backends[name] = backend


def get_registered_backend(name: str) -> BaseAuthentication | None:
    return _backends.get(name)


async def load_user(user_id: Any, backend_name: str | None = None, auth_context: Any = None) -> Any:
    """The user for ``user_id`` through the named backend's ``get_user`` (the default
    Django user lookup when the name is not registered); None when there is none."""
    backend = _backends.get(backend_name or "") or BaseAuthentication()
    return await backend.get_user(user_id, auth_context)
