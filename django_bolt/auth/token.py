"""Issuing tokens that ``JWTAuthentication`` accepts (signed with PyJWT)."""

from __future__ import annotations

import datetime
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from django.conf import settings

from ..exceptions import BoltConfigError
from .backends import JWTAuthentication


def _default_secret(secret: str | None, algorithm: str) -> str:
    if secret is not None:
        return secret
    if not algorithm.startswith("HS"):
        raise BoltConfigError(f"{algorithm} tokens need the private key as `secret`")
    return str(settings.SECRET_KEY)


@dataclass
class Token:
    """The claims of a bolt token. ``Token.create(sub=42).encode(secret)`` signs one;
    ``Token.decode(token, secret)`` verifies one in Python (the server does it in Go)."""

    sub: str
    exp: int
    iat: int = field(default_factory=lambda: int(time.time()))
    nbf: int | None = None
    aud: str | None = None
    iss: str | None = None
    jti: str | None = None
    is_staff: bool = False
    is_superuser: bool = False
    permissions: list[str] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    #: django-bolt's claim; sent only when set
    is_admin: bool | None = None

    def __post_init__(self) -> None:
        if isinstance(self.sub, datetime.datetime):  # django-bolt's positional order: (exp, sub)
            self.sub, self.exp = self.exp, self.sub
        # django-bolt passes datetimes (exp=now + timedelta(...)): claims are seconds.
        for name in ("exp", "iat", "nbf"):
            value = getattr(self, name)
            if isinstance(value, datetime.datetime):
                if value.tzinfo is None:
                    value = value.replace(tzinfo=datetime.UTC)
                setattr(self, name, int(value.timestamp()))
        self.sub = str(self.sub)

    @classmethod
    def create(
        cls,
        sub: Any,
        expires_in: int = 3600,
        *,
        jti: bool = True,
        expires_delta: datetime.timedelta | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        **claims: Any,
    ) -> Token:
        """A token for ``sub`` valid ``expires_in`` seconds (or ``expires_delta``) from now;
        unknown keyword arguments become extra claims. ``jti=True`` gives it a random id
        (for revocation); ``issuer``/``audience`` are django-bolt's names of ``iss``/``aud``."""
        now = int(time.time())
        if expires_delta is not None:
            expires_in = int(expires_delta.total_seconds())
        if issuer is not None:
            claims["iss"] = issuer
        if audience is not None:
            claims["aud"] = audience
        known = {k: claims.pop(k) for k in list(claims) if k in cls.__dataclass_fields__ and k != "extras"}
        return cls(
            sub=str(sub), exp=now + expires_in, iat=now, jti=uuid.uuid4().hex if jti else None, extras=claims, **known
        )

    def to_claims(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sub": self.sub, "exp": self.exp, "iat": self.iat}
        for key in ("nbf", "aud", "iss", "jti", "permissions", "is_admin"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out["is_staff"] = self.is_staff
        out["is_superuser"] = self.is_superuser
        out.update(self.extras)
        return out

    to_dict = to_claims  # django-bolt's name

    def encode(self, secret: str | None = None, algorithm: str = "HS256", headers: dict[str, Any] | None = None) -> str:
        key = _default_secret(secret, algorithm)
        if algorithm.startswith("HS"):
            JWTAuthentication._check_secret(key, "secret")
        return jwt.encode(self.to_claims(), key, algorithm=algorithm, headers=headers)

    @classmethod
    def decode(
        cls,
        token: str,
        secret: str | None = None,
        algorithms: list[str] | None = None,
        audience: str | None = None,
        issuer: str | None = None,
        leeway: float = 0,
        *,
        algorithm: str | None = None,
        verify_exp: bool = True,
        verify_nbf: bool = True,
    ) -> Token:
        """Verify ``token`` (signature, ``exp`` required, audience, issuer) and return it.
        django-bolt's ``algorithm="HS256"``, ``verify_exp`` and ``verify_nbf`` work too."""
        algs = algorithms or [algorithm or "HS256"]
        claims = jwt.decode(
            token,
            _default_secret(secret, algs[0]),
            algorithms=algs,
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": ["exp"] if verify_exp else [], "verify_exp": verify_exp, "verify_nbf": verify_nbf},
        )
        known = {k: claims.pop(k) for k in list(claims) if k in cls.__dataclass_fields__ and k != "extras"}
        known["sub"] = str(known.get("sub", ""))
        return cls(extras=claims, **known)


def create_jwt_for_user(
    user: Any,
    secret: str | None = None,
    algorithm: str = "HS256",
    expires_in: int = 3600,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """A signed token for a Django user: ``sub`` is the primary key, with ``is_staff``,
    ``is_superuser``, ``username`` (and ``email`` when set), plus ``extra_claims``
    (for instance ``{"permissions": [...]}`` for the permission guards)."""
    claims: dict[str, Any] = {"username": user.get_username()}
    if getattr(user, "email", ""):
        claims["email"] = user.email
    claims.update(extra_claims or {})
    token = Token.create(
        user.pk,
        expires_in,
        is_staff=bool(getattr(user, "is_staff", False)),
        is_superuser=bool(getattr(user, "is_superuser", False)),
        **claims,
    )
    return token.encode(secret, algorithm)
