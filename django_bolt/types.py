"""Types for annotations, as django-bolt names them: the ``Request`` protocol (generic in the
user, the auth context and the state), ``JWTClaims``, ``UserType``, ``AuthContext``...

Handlers may annotate their request argument with ``django_bolt.Request`` (the class) or
with the protocol here; both are recognised as "the request object".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypedDict, TypeVar, runtime_checkable

from .request import Request as _Request
from .responses import Response

__all__ = [
    "APIKeyAuth",
    "AuthContext",
    "DjangoModel",
    "JWTClaims",
    "MiddlewareResponse",
    "Request",
    "TimingState",
    "TracingState",
    "UserType",
]

UserT = TypeVar("UserT", covariant=True)
ContextT = TypeVar("ContextT", covariant=True)
StateT = TypeVar("StateT", covariant=True)


@runtime_checkable
class UserType(Protocol):
    """What a user object offers (Django's ``AbstractBaseUser`` fits)."""

    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...


@runtime_checkable
class DjangoModel(Protocol):
    """Any Django model instance."""

    @property
    def pk(self) -> Any: ...


class JWTClaims(TypedDict, total=False):
    """The registered JWT claims plus django-bolt's own (``request.context["auth_claims"]``)."""

    sub: str
    exp: int
    iat: int
    nbf: int
    iss: str
    aud: str | list[str]
    jti: str
    is_staff: bool
    is_superuser: bool
    is_admin: bool
    permissions: list[str]


class APIKeyAuth(TypedDict, total=False):
    """The context an API key leaves (``request.context``)."""

    user_id: str
    auth_backend: str
    permissions: list[str]


class TimingState(TypedDict, total=False):
    """What ``TimingMiddleware`` puts in ``request.state``."""

    request_start_time: float


class TracingState(TypedDict, total=False):
    """Conventional keys for tracing middleware in ``request.state``."""

    trace_id: str
    span_id: str


@dataclass
class AuthContext:
    """Who authenticated, as django-bolt describes it (our ``request.context`` dict holds
    the same facts under ``user_id``, ``is_staff``, ``is_superuser``, ``auth_backend``,
    ``permissions`` and ``auth_claims``)."""

    user_id: str | None = None
    is_staff: bool = False
    is_superuser: bool = False
    backend: str = "none"
    claims: dict[str, Any] | None = None
    permissions: set[str] | None = None

    @classmethod
    def from_context(cls, context: dict[str, Any]) -> AuthContext:
        """The AuthContext of a ``request.context`` dict."""
        perms = context.get("permissions")
        return cls(
            user_id=None if context.get("user_id") is None else str(context["user_id"]),
            is_staff=bool(context.get("is_staff")),
            is_superuser=bool(context.get("is_superuser")),
            backend=str(context.get("auth_backend") or "none"),
            claims=context.get("auth_claims"),
            permissions=None if perms is None else set(perms),
        )


#: What a middleware returns.
MiddlewareResponse = Response


class Request(Protocol, Generic[UserT, ContextT, StateT]):
    """The request object's interface: ``Request[User, JWTClaims, State]`` types
    ``request.user``, ``request.context`` and ``request.state``."""

    #: read at registration: a parameter annotated with this protocol is the request
    __bolt_request__: ClassVar[bool] = True

    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def headers(self) -> dict[str, str]: ...

    @property
    def query(self) -> dict[str, str]: ...

    @property
    def cookies(self) -> dict[str, str]: ...

    @property
    def user(self) -> UserT: ...

    @property
    def context(self) -> ContextT: ...

    @property
    def state(self) -> StateT: ...

    body: bytes


#: The concrete class (``django_bolt.Request``), for isinstance checks.
RequestClass = _Request
