"""Access + refresh token pairs with rotation (django-bolt 0.10+'s ``django_bolt.auth.tokens``).

An access token is short-lived and checked in Go on every request; a refresh token is
long-lived and only ever presented to the rotation endpoint, whose backend is
``JWTAuthentication(token_type="refresh")`` (Go refuses access tokens there, and refresh
tokens everywhere else). Both carry a ``typ`` claim (``"access"``/``"refresh"``, django-bolt's
name) and ``token_type`` with the same value.

Rotation (``rotate_refresh_token``) spends the presented refresh token in the revocation
store (its ``jti`` is revoked), then issues a new pair in the same *family* (``fam``). A
refresh token presented again after it was spent is a replay: the whole family is revoked,
so the thief's and the owner's next rotations both fail. ``oat`` (origin auth time) is
carried through rotations so ``max_session_lifetime`` bounds a session however often it
rotates; ``amr`` (RFC 8176, the login method) is carried too. Other claims are not copied:
pass ``claims=`` again at each rotation (they may have changed since the login).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

from ..exceptions import BoltConfigError, HTTPException
from .backends import JWTAuthentication
from .guards import IsAuthenticated
from .revocation import RevocationStore, consume, is_family_revoked, revoke_family
from .token import _default_secret

if TYPE_CHECKING:
    from ..api import BoltAPI

__all__ = [
    "DEFAULT_ACCESS_TTL",
    "DEFAULT_REFRESH_TTL",
    "RESERVED_CLAIMS",
    "TokenPair",
    "TokenRotationError",
    "add_refresh_route",
    "create_token_pair",
    "rotate_refresh_token",
    "set_token_cookies",
]

#: Seconds an access token lives (15 minutes) and a refresh token lives (7 days).
DEFAULT_ACCESS_TTL = 900
DEFAULT_REFRESH_TTL = 7 * 86400

#: Claims the pair's life depends on; ``claims=`` may not set them.
RESERVED_CLAIMS = frozenset({"sub", "iat", "exp", "typ", "token_type", "jti", "fam", "oat", "ver"})


class TokenRotationError(Exception):
    """The refresh token cannot be rotated (spent, revoked, replayed, too old, malformed).
    Answer every case with the same 401, so a client learns nothing from the reason."""


@dataclass
class TokenPair:
    """An access and a refresh token and their claims."""

    access_token: str
    refresh_token: str
    access_claims: dict[str, Any]
    refresh_claims: dict[str, Any]


def _user_id(user: Any) -> str:
    # A Django user, or a bare id (magic links, OAuth, service handoffs mint without a model).
    pk = getattr(user, "pk", None)
    return str(user if pk is None else pk)


def _check_claims(claims: dict[str, Any] | None) -> None:
    clash = RESERVED_CLAIMS.intersection(claims or ())
    if clash:
        raise ValueError(f"claims= may not set the reserved claims {sorted(clash)}")


def _encode(claims: dict[str, Any], secret: str | None, algorithm: str, kid: str | None) -> str:
    key = _default_secret(secret, algorithm)
    if algorithm.startswith("HS"):
        JWTAuthentication._check_secret(key, "secret")
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid} if kid is not None else None)


def create_token_pair(
    user: Any,
    *,
    secret: str | None = None,
    algorithm: str = "HS256",
    kid: str | None = None,
    access_ttl: int = DEFAULT_ACCESS_TTL,
    refresh_ttl: int = DEFAULT_REFRESH_TTL,
    claims: dict[str, Any] | None = None,
    method: str | list[str] | None = None,
    version: int = 0,
    oat: int | None = None,
    family: str | None = None,
) -> TokenPair:
    """A new access + refresh pair for ``user`` (a Django user or an id).

    ``secret`` defaults to ``settings.SECRET_KEY`` (HS*; the private key for RS*/ES*);
    ``kid`` goes in both headers (key rotation). ``claims`` go in both tokens; ``method``
    is recorded as ``amr``; ``version`` as ``ver``; ``oat`` defaults to now. Both tokens get
    a fresh ``jti``, so either can be revoked."""
    _check_claims(claims)
    now = int(time.time())
    base: dict[str, Any] = {"sub": _user_id(user), "iat": now, "oat": now if oat is None else int(oat), "ver": version}
    if method is not None:
        base["amr"] = [method] if isinstance(method, str) else list(method)
    base.update(claims or {})
    access = {**base, "exp": now + access_ttl, "jti": uuid.uuid4().hex, "typ": "access", "token_type": "access"}
    refresh = {
        **base,
        "exp": now + refresh_ttl,
        "jti": uuid.uuid4().hex,
        "fam": family or uuid.uuid4().hex,
        "typ": "refresh",
        "token_type": "refresh",
    }
    return TokenPair(
        access_token=_encode(access, secret, algorithm, kid),
        refresh_token=_encode(refresh, secret, algorithm, kid),
        access_claims=access,
        refresh_claims=refresh,
    )


def _int_claim(claims: dict[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TokenRotationError(f"refresh token has a malformed {name}")
    return int(value)


async def rotate_refresh_token(
    refresh_claims: dict[str, Any],
    *,
    store: RevocationStore,
    secret: str | None = None,
    algorithm: str = "HS256",
    kid: str | None = None,
    access_ttl: int = DEFAULT_ACCESS_TTL,
    refresh_ttl: int = DEFAULT_REFRESH_TTL,
    rotate: bool = True,
    max_session_lifetime: int | None = None,
    leeway: int = 60,
    claims: dict[str, Any] | None = None,
) -> TokenPair:
    """Exchange a refresh token (its claims, already verified by Go: signature, ``exp``,
    ``typ``; ``request.context["auth_claims"]``) for a new pair.

    With ``rotate`` (the default) the presented token is spent: its ``jti`` is revoked in
    ``store`` and a new pair of the same family is issued; presenting it again revokes the
    family. With ``rotate=False`` only a new access token is issued (``refresh_token`` is
    "") and the refresh token stays usable until it expires or is revoked. Raises
    ``TokenRotationError`` whatever the reason. A token whose ``ver`` differs from
    ``await store.get_user_version(sub)`` is refused: ``store.bump_user_version(user_id)``
    logs a user out everywhere (their access tokens still live until ``exp``)."""
    _check_claims(claims)
    if str(refresh_claims.get("typ") or refresh_claims.get("token_type") or "").lower() != "refresh":
        raise TokenRotationError("not a refresh token")
    jti, fam, sub = refresh_claims.get("jti"), refresh_claims.get("fam"), refresh_claims.get("sub")
    if not isinstance(jti, str) or not jti:
        raise TokenRotationError("refresh token has no jti")
    if not isinstance(sub, str) or not sub:
        raise TokenRotationError("refresh token has no subject")
    if rotate and (not isinstance(fam, str) or not fam):
        raise TokenRotationError("refresh token has no family")
    if isinstance(fam, str) and fam and await is_family_revoked(store, fam):
        raise TokenRotationError("refresh token family revoked")
    now = int(time.time())
    exp = _int_claim(refresh_claims, "exp") or now
    oat = _int_claim(refresh_claims, "oat")
    if oat is not None and oat > now + leeway:
        raise TokenRotationError("refresh token's origin time is in the future")
    access_ttl_now = access_ttl
    if max_session_lifetime is not None:
        if oat is None:
            raise TokenRotationError("refresh token has no origin time; the session cap cannot be checked")
        left = oat + max_session_lifetime - now
        if left <= 0:
            raise TokenRotationError("session is older than max_session_lifetime")
        access_ttl_now = min(access_ttl, left)
    carried: dict[str, Any] = {k: refresh_claims[k] for k in ("amr",) if k in refresh_claims}
    carried.update(claims or {})
    version = await store.get_user_version(sub)
    if (_int_claim(refresh_claims, "ver") or 0) != version:  # "log out everywhere" since
        raise TokenRotationError("refresh token is older than the user's token version")
    # Kept revoked while the token could still be accepted (its exp plus the leeway).
    spent_for = max(exp + leeway - now, 1)
    if not rotate:
        if await store.is_revoked(jti):
            raise TokenRotationError("refresh token revoked")
        access = {
            **carried,
            "sub": sub,
            "iat": now,
            "exp": now + access_ttl_now,
            "jti": uuid.uuid4().hex,
            "ver": version,
            "typ": "access",
            "token_type": "access",
        }
        if oat is not None:
            access["oat"] = oat
        return TokenPair(_encode(access, secret, algorithm, kid), "", access, dict(refresh_claims))
    if not await consume(store, jti, spent_for):
        # Spent before: a replay (stolen token, or a client that rotated twice). Burn the
        # family so that every descendant is refused too.
        await revoke_family(store, str(fam), max(refresh_ttl, spent_for))
        raise TokenRotationError("refresh token already used")
    return create_token_pair(
        sub,
        secret=secret,
        algorithm=algorithm,
        kid=kid,
        access_ttl=access_ttl_now,
        refresh_ttl=refresh_ttl,
        claims=carried or None,
        version=version,
        oat=oat,
        family=str(fam),
    )


def set_token_cookies(
    response: Any,
    pair: TokenPair,
    *,
    access_cookie: str = "access_token",
    refresh_cookie: str = "refresh_token",
    refresh_path: str = "/",
    secure: bool = True,
    samesite: str = "Lax",
    domain: str | None = None,
) -> Any:
    """Set the pair as ``HttpOnly`` cookies (``Secure``, ``SameSite=Lax`` by default), each
    living as long as its token; give ``refresh_path`` (the rotation endpoint's path) so the
    refresh cookie is sent there only. Returns the response."""
    now = int(time.time())
    for name, token, claims, path in (
        (access_cookie, pair.access_token, pair.access_claims, "/"),
        (refresh_cookie, pair.refresh_token, pair.refresh_claims, refresh_path),
    ):
        if not token:
            continue  # rotate=False issues no refresh token
        response.set_cookie(
            name,
            token,
            max_age=max(int(claims["exp"]) - now, 0),
            path=path,
            domain=domain,
            secure=secure,
            httponly=True,
            samesite=samesite,
        )
    return response


def add_refresh_route(
    api: BoltAPI,
    path: str = "/auth/refresh",
    *,
    store: RevocationStore,
    auth: JWTAuthentication | None = None,
    **options: Any,
) -> Callable[..., Any]:
    """Register ``POST path``: the rotation endpoint. The refresh token comes in the
    ``Authorization: Bearer`` header (or as ``auth`` says, e.g. ``JWTAuthentication(
    token_type="refresh", cookie="refresh_token")``); the answer is ``{"access_token",
    "refresh_token", "token_type": "bearer", "expires_in"}``, or 401 ``{"detail": ...}``.
    ``options`` go to ``rotate_refresh_token`` (``secret``, ``algorithm``, ``access_ttl``...)."""
    backend = auth or JWTAuthentication(
        secret=options.get("secret"), algorithms=[options.get("algorithm", "HS256")], token_type="refresh"
    )
    if backend.token_type != "refresh":
        raise BoltConfigError("add_refresh_route: auth must be a JWTAuthentication(token_type='refresh')")

    async def refresh_tokens(request: Any) -> dict[str, Any]:
        claims = (request.context or {}).get("auth_claims") or {}
        try:
            pair = await rotate_refresh_token(claims, store=store, **options)
        except TokenRotationError:
            raise HTTPException(
                401, "Refresh token is invalid, revoked or already used", headers={"WWW-Authenticate": "Bearer"}
            ) from None
        return {
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "token_type": "bearer",
            "expires_in": int(pair.access_claims["exp"]) - int(pair.access_claims["iat"]),
        }

    api.post(path, auth=[backend], guards=[IsAuthenticated()])(refresh_tokens)
    return refresh_tokens
