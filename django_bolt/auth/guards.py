"""Guards (permission checks). The built-in ones compile to Go (``libbolt/auth/guards.go``)
and run there when the route's credentials were validated in Go; a guard of your own is a
``BasePermission`` subclass with ``has_permission`` (sync or async), or a plain
``async def guard(request) -> bool``, and runs in Python before the handler.

No identity → 401 (with ``WWW-Authenticate``) for any guard that needs one; a failed
check → 403.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings

from ..exceptions import BoltConfigError

if TYPE_CHECKING:
    from ..request import Request

_SCALARS = (str, int, float)


class BasePermission:
    """Base of every guard. Subclass it and override ``has_permission`` for a check that
    needs Python (a database lookup...); such guards run on the event loop."""

    #: The check fails with 401 when the request is not authenticated.
    requires_auth = True

    def to_metadata(self) -> dict[str, Any] | None:
        """The guard for Go, or None when it must run in Python."""
        return None

    def allows(self, context: dict[str, Any]) -> bool:
        """Built-in guards: the decision from the auth context (mirrors the Go code)."""
        return True

    def has_permission(self, request: Request) -> bool | Any:
        """Custom guards: return (or await to) True to let the request through."""
        return self.allows(request.context)


class AllowAny(BasePermission):
    """Everyone, authenticated or not; given on a route it replaces the default guards."""

    requires_auth = False

    def to_metadata(self) -> dict[str, Any]:
        return {"type": "allow_any"}


class IsAuthenticated(BasePermission):
    """Any valid credential (401 without one)."""

    def to_metadata(self) -> dict[str, Any]:
        return {"type": "is_authenticated"}


class IsAdminUser(BasePermission):
    """A superuser (the token's ``is_superuser`` claim); 403 otherwise."""

    def to_metadata(self) -> dict[str, Any]:
        return {"type": "is_admin_user"}

    def allows(self, context: dict[str, Any]) -> bool:
        return bool(context.get("is_superuser"))


class IsStaff(BasePermission):
    """Staff (``is_staff``) or a superuser; 403 otherwise."""

    def to_metadata(self) -> dict[str, Any]:
        return {"type": "is_staff"}

    def allows(self, context: dict[str, Any]) -> bool:
        return bool(context.get("is_staff") or context.get("is_superuser"))


def _has(context: dict[str, Any], perm: str) -> bool:
    # Django's User.has_perm: an (active) superuser has every permission.
    return bool(context.get("is_superuser")) or perm in (context.get("permissions") or ())


class _PermissionGuard(BasePermission):
    kind = ""

    def __init__(self, *permissions: str | list[str]) -> None:
        flat: list[str] = []
        for p in permissions:
            flat.extend([p] if isinstance(p, str) else list(p))
        if not flat or not all(isinstance(p, str) and p for p in flat):
            raise BoltConfigError(f"{type(self).__name__} needs one or more permission names like 'blog.add_post'")
        self.permissions = flat

    def to_metadata(self) -> dict[str, Any]:
        return {"type": self.kind, "permissions": self.permissions}


class HasPermission(_PermissionGuard):
    """The ``permissions`` claim (or the API key's permissions) holds this permission."""

    kind = "has_permission"

    def allows(self, context: dict[str, Any]) -> bool:
        return all(_has(context, p) for p in self.permissions)


class HasAnyPermission(_PermissionGuard):
    """At least one of the permissions."""

    kind = "has_any_permission"

    def allows(self, context: dict[str, Any]) -> bool:
        return any(_has(context, p) for p in self.permissions)


class HasAllPermissions(_PermissionGuard):
    """Every one of the permissions."""

    kind = "has_all_permissions"

    def allows(self, context: dict[str, Any]) -> bool:
        return all(_has(context, p) for p in self.permissions)


class Requires(BasePermission):
    """A token claim: ``Requires("role", "admin", "editor")`` (any of),
    ``Requires("permissions", all_of=[...])``, ``Requires("tenant_id")`` (present)."""

    def __init__(self, claim: str, *values: str | int | float | bool, all_of: list[Any] | None = None) -> None:
        if not isinstance(claim, str) or not claim:
            raise BoltConfigError(f"Requires() claim must be a non-empty string, got {claim!r}")
        if all_of is not None and values:
            raise BoltConfigError("Requires() takes positional values (any of) or all_of=[...], not both")
        self.values = list(all_of if all_of is not None else values)
        if not all(isinstance(v, _SCALARS) for v in self.values):
            raise BoltConfigError(f"Requires({claim!r}) values must be str, int, float or bool")
        self.claim = claim
        self.match_all = all_of is not None

    def to_metadata(self) -> dict[str, Any]:
        return {"type": "requires", "claim": self.claim, "values": self.values, "match_all": self.match_all}

    def allows(self, context: dict[str, Any]) -> bool:
        if self.claim == "permissions":
            value: Any = context.get("permissions") or []
        else:
            value = (context.get("auth_claims") or {}).get(self.claim)
        if value is None:
            return False
        if not self.values:
            return True
        have = value if isinstance(value, list) else [value]
        hits = [v in have for v in self.values]
        return all(hits) if self.match_all else any(hits)


GuardCallable = Callable[..., Any]


def is_builtin(guard: Any) -> bool:
    """Whether Go can evaluate ``guard`` itself."""
    return isinstance(guard, BasePermission) and guard.to_metadata() is not None


def check_guard(guard: Any, where: str) -> None:
    if isinstance(guard, type) and issubclass(guard, BasePermission):
        raise BoltConfigError(f"{where}: guards are instances; write {guard.__name__}(), not {guard.__name__}")
    if not isinstance(guard, BasePermission) and not callable(guard):
        raise BoltConfigError(f"{where}: {guard!r} is not a guard (a BasePermission or an async callable)")
    if not isinstance(guard, BasePermission) and not inspect.iscoroutinefunction(guard):
        fn = getattr(guard, "__call__", None)  # noqa: B004 - an object with an async __call__
        if not inspect.iscoroutinefunction(fn):
            raise BoltConfigError(f"{where}: custom guard {guard!r} must be `async def guard(request) -> bool`")


def get_default_permission_classes() -> list[Any]:
    """``settings.BOLT_DEFAULT_PERMISSION_CLASSES`` (instances), or ``[AllowAny()]``."""
    if not settings.configured:
        return [AllowAny()]
    value = getattr(settings, "BOLT_DEFAULT_PERMISSION_CLASSES", None)
    if value is None:
        return [AllowAny()]
    for g in value:
        check_guard(g, "settings.BOLT_DEFAULT_PERMISSION_CLASSES")
    return list(value)
