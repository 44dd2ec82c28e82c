"""Ready-made cookie endpoints for token pairs (django-bolt 0.11's ``JWTAuthViews``)::

    from django_bolt.auth import DjangoCacheRevocation
    from django_bolt.auth.views import JWTAuthViews

    JWTAuthViews(store=DjangoCacheRevocation()).register(api)

``register`` adds, under ``prefix`` (``/auth``): ``POST login`` (``{"username", "password"}``
checked with Django's ``aauthenticate``, or your ``credential_validator``; sets the access and
refresh cookies), ``POST refresh`` (rotates the refresh cookie's token: a new pair of cookies),
``POST logout`` (revokes the token's family, clears both cookies) and ``POST logout-all``
(bumps the user's token version: every refresh token of the user stops rotating). The
refresh cookie is sent to ``prefix`` only. API routes read the access cookie with
``JWTAuthentication(cookie="access_token")`` (same-origin check on unsafe methods, in Go).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import msgspec

from ..exceptions import HTTPException
from ..responses import JSON
from .backends import JWTAuthentication
from .guards import IsAuthenticated
from .revocation import RevocationStore
from .tokens import TokenRotationError, create_token_pair, rotate_refresh_token, set_token_cookies

if TYPE_CHECKING:
    from ..api import BoltAPI

__all__ = ["CredentialValidator", "JWTAuthViews", "LoginCredentials"]


class LoginCredentials(msgspec.Struct):
    """The login body."""

    username: str
    password: str


#: ``async fn(request, credentials) -> user or None``.
CredentialValidator = Callable[[Any, LoginCredentials], Awaitable[Any]]


async def _django_authenticate(request: Any, credentials: LoginCredentials) -> Any:
    from django.contrib.auth import aauthenticate  # noqa: PLC0415 - lazy: auth models load after setup

    return await aauthenticate(None, username=credentials.username, password=credentials.password)


class JWTAuthViews:
    """The login / refresh / logout / logout-all endpoints of a cookie token-pair flow."""

    def __init__(
        self,
        *,
        store: RevocationStore,
        secret: str | None = None,
        algorithm: str = "HS256",
        kid: str | None = None,
        prefix: str = "/auth",
        access_cookie: str = "access_token",
        refresh_cookie: str = "refresh_token",
        secure_cookies: bool = True,
        credential_validator: CredentialValidator | None = None,
    ) -> None:
        self.store = store
        self.secret = secret
        self.algorithm = algorithm
        self.kid = kid
        self.prefix = prefix.rstrip("/")
        self.access_cookie = access_cookie
        self.refresh_cookie = refresh_cookie
        self.secure_cookies = secure_cookies
        self.credential_validator = credential_validator or _django_authenticate

    def _with_cookies(self, pair: Any) -> JSON:
        response = JSON({"ok": True})
        set_token_cookies(
            response,
            pair,
            access_cookie=self.access_cookie,
            refresh_cookie=self.refresh_cookie,
            refresh_path=self.prefix or "/",
            secure=self.secure_cookies,
        )
        return response

    def _cleared(self) -> JSON:
        response = JSON({"ok": True})
        response.delete_cookie(self.access_cookie, path="/")
        response.delete_cookie(self.refresh_cookie, path=self.prefix or "/")
        return response

    def register(self, api: BoltAPI) -> None:
        """Add the four routes to ``api``."""
        refresh_auth = JWTAuthentication(
            secret=self.secret, algorithms=[self.algorithm], cookie=self.refresh_cookie, token_type="refresh"
        )
        guarded: dict[str, Any] = {"auth": [refresh_auth], "guards": [IsAuthenticated()], "tags": ["auth"]}

        async def login(request: Any, credentials: LoginCredentials) -> JSON:
            user = await self.credential_validator(request, credentials)
            if user is None or not getattr(user, "is_active", True):
                raise HTTPException(401, "Invalid credentials")
            version = await self.store.get_user_version(str(user.pk))
            pair = create_token_pair(
                user, secret=self.secret, algorithm=self.algorithm, kid=self.kid, version=version, method="pwd"
            )
            return self._with_cookies(pair)

        async def refresh(request: Any) -> JSON:
            try:
                pair = await rotate_refresh_token(
                    request.context["auth_claims"],
                    store=self.store,
                    secret=self.secret,
                    algorithm=self.algorithm,
                    kid=self.kid,
                )
            except TokenRotationError:
                raise HTTPException(401, "Invalid token") from None
            return self._with_cookies(pair)

        async def logout(request: Any) -> JSON:
            family = request.context["auth_claims"].get("fam")
            if isinstance(family, str) and family:
                await self.store.revoke_family(family)
            return self._cleared()

        async def logout_all(request: Any) -> JSON:
            await self.store.bump_user_version(str(request.context["user_id"]))
            return self._cleared()

        # Named after the prefix, so that reverse() names stay unique with several instances.
        name = "jwt_auth" + self.prefix.replace("/", "_")
        api.post(f"{self.prefix}/login", tags=["auth"], summary="Log in", name=f"{name}_login")(login)
        api.post(f"{self.prefix}/refresh", summary="Refresh tokens", name=f"{name}_refresh", **guarded)(refresh)
        api.post(f"{self.prefix}/logout", summary="Log out", name=f"{name}_logout", **guarded)(logout)
        api.post(f"{self.prefix}/logout-all", summary="Log out everywhere", name=f"{name}_logout_all", **guarded)(
            logout_all
        )
