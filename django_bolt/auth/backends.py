"""Authentication backends. JWT and API keys are validated in Go (``libbolt/auth``); these
classes only hold and check the configuration, once, at registration.

``auth=[...]`` on a route only *attempts* authentication: a request without valid
credentials still reaches the handler (with an empty ``request.context``) unless a guard
such as ``IsAuthenticated()`` requires it, exactly as in django-bolt.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings

from ..exceptions import BoltConfigError
from .revocation import HandlerRevocation, InMemoryRevocation, SharedRevocation

logger = logging.getLogger("django_bolt")

if TYPE_CHECKING:
    from ..request import Request
    from .revocation import RevocationStore

#: HS* secrets shorter than this are refused (RFC 7518 3.2: at least the hash size).
MIN_HMAC_SECRET_BYTES = 32

_FAMILIES = {
    **dict.fromkeys(("HS256", "HS384", "HS512"), "hmac"),
    **dict.fromkeys(("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"), "rsa"),
    **dict.fromkeys(("ES256", "ES384", "ES512"), "ecdsa"),
    "EdDSA": "ed25519",
}


class BaseAuthentication:
    """Base of the authentication backends."""

    #: Name put in ``request.context["auth_backend"]``.
    scheme_name = "none"
    #: True for backends that Python evaluates (they need Django, e.g. the session).
    python_side = False

    def to_metadata(self) -> dict[str, Any]:
        """The backend's configuration for Go (``libbolt/auth/config.go`` BackendConfig)."""
        raise NotImplementedError

    async def authenticate(self, request: Request) -> dict[str, Any] | None:
        """Python-side backends only: the auth context for ``request``, or None."""
        return None

    def openapi_security_scheme(self) -> tuple[str, dict[str, Any]]:
        """(name, OpenAPI security scheme) describing how this backend reads credentials."""
        raise NotImplementedError

    async def get_user(self, user_id: Any, auth_context: Any = None) -> Any:
        """The Django user for ``user_id`` (``request.context["user_id"]``), or None."""
        from django.contrib.auth import get_user_model  # noqa: PLC0415 - lazy: auth models load after setup

        if user_id is None:
            return None
        model = get_user_model()
        try:
            return await model._default_manager.aget(pk=user_id)
        except (model.DoesNotExist, ValueError, TypeError):
            return None


def short_secret_allowed() -> bool:
    """Short HS secrets start (with a warning) only when Django's DEBUG is on."""
    return bool(settings.configured and getattr(settings, "DEBUG", False))


_warned_short: set[str] = set()


def _warn_short_secret(where: str, size: int) -> None:
    if where not in _warned_short:
        _warned_short.add(where)
        logger.warning(
            "JWTAuthentication: the HS %s is %d bytes, shorter than the %d RFC 7518 requires; "
            "accepted only because DEBUG is on: it will be refused in production",
            where,
            size,
            MIN_HMAC_SECRET_BYTES,
        )


def _secret_bytes(secret: str | bytes) -> int:
    return len(secret.encode() if isinstance(secret, str) else secret)


class JWTAuthentication(BaseAuthentication):
    """Bearer tokens (``Authorization: Bearer <jwt>``, or a cookie) validated in Go.

    ``secret`` defaults to Django's ``SECRET_KEY`` (HS* algorithms; at least 32 bytes);
    ``public_key`` is a PEM key for RS*/PS*/ES*/EdDSA. ``algorithms`` is an explicit
    allow-list (``none`` is never accepted) of one key family. ``exp`` is required;
    ``audience``/``issuer`` are checked when given; ``leeway`` (seconds) allows clock skew.
    ``revocation_store`` refuses revoked ``jti`` values (``InMemoryRevocation`` is checked
    in Go, other stores in Python). A token read from ``cookie`` on an unsafe method must
    come from the same origin (its Origin, else Referer, names the Host), as in django-bolt;
    ``cookie_csrf=False`` turns that check off.

    ``jwks`` (a key set, dict or JSON) or ``jwks_url`` (fetched by Go at start-up, and again
    when a token names an unknown ``kid``, at most every ``jwks_refresh_interval`` seconds)
    replace the key: each token's ``kid`` picks its public key (``algorithms`` default
    ``["RS256"]`` then, and may span RSA and EC). Refresh and ID tokens (``typ`` or
    ``token_type`` claim) are refused with 401; ``token_type="refresh"`` makes a backend
    for a rotation endpoint that accepts refresh tokens only (``django_bolt.auth.tokens``).
    """

    scheme_name = "jwt"

    def __init__(
        self,
        secret: str | None = None,
        algorithms: Iterable[str] | None = None,
        header: str = "authorization",
        cookie: str | None = None,
        audience: str | None = None,
        issuer: str | None = None,
        leeway: float = 60,
        revocation_store: RevocationStore | None = None,
        require_jti: bool = False,
        public_key: str | None = None,
        revoked_token_handler: Any = None,
        cookie_csrf: bool = True,
        jwks: Mapping[str, Any] | str | None = None,
        jwks_url: str | None = None,
        jwks_refresh_interval: float = 60,
        token_type: str = "access",
        oidc_issuer: str | None = None,
    ) -> None:
        if oidc_issuer is not None:
            if jwks is not None or jwks_url is not None:
                raise BoltConfigError("JWTAuthentication: oidc_issuer finds the key set; give it or jwks/jwks_url")
            if issuer is not None and issuer != oidc_issuer:
                raise BoltConfigError("JWTAuthentication: issuer and oidc_issuer differ")
            issuer = oidc_issuer
        #: OpenID provider whose /.well-known/openid-configuration names the key set (Go reads it)
        self.oidc_issuer = oidc_issuer
        if algorithms is None and (jwks is not None or jwks_url is not None or oidc_issuer is not None):
            algorithms = ["RS256"]  # a key set holds public keys
        self.algorithms = ["HS256"] if algorithms is None else list(algorithms)
        if not self.algorithms:
            raise BoltConfigError("JWTAuthentication: algorithms must not be empty")
        families = set()
        for alg in self.algorithms:
            if alg not in _FAMILIES:
                raise BoltConfigError(
                    f"JWTAuthentication: algorithm {alg!r} is not supported; use one of {', '.join(_FAMILIES)} "
                    "(unsigned 'none' tokens are never accepted)"
                )
            families.add(_FAMILIES[alg])
        self.jwks, self.jwks_url = _check_jwks(
            jwks, jwks_url or oidc_issuer, secret, public_key, families, jwks_refresh_interval
        )
        if oidc_issuer is not None:
            self.jwks_url = None  # found by Go through the issuer's configuration
        self.jwks_refresh_interval = jwks_refresh_interval
        if token_type not in ("access", "refresh"):
            raise BoltConfigError(f"JWTAuthentication: token_type must be 'access' or 'refresh', got {token_type!r}")
        #: "refresh": a rotation endpoint's backend, accepting refresh tokens only (checked in Go)
        self.token_type = token_type
        key_set = self.jwks is not None or self.jwks_url is not None or oidc_issuer is not None
        if len(families) > 1 and not key_set:
            raise BoltConfigError(f"JWTAuthentication: algorithms {self.algorithms} mix key families (one key each)")
        self.family = "jwks" if len(families) > 1 else families.pop()
        if secret is not None and public_key is not None:
            raise BoltConfigError("JWTAuthentication takes either secret (HS*) or public_key (RS*/ES*/...), not both")
        if isinstance(leeway, bool) or not isinstance(leeway, (int, float)) or leeway < 0:
            raise BoltConfigError(f"JWTAuthentication: leeway must be a number of seconds >= 0, got {leeway!r}")
        self._secret = secret
        self.public_key = public_key
        if self.family == "hmac":
            if public_key is not None:
                raise BoltConfigError("JWTAuthentication: HS* algorithms take a secret, not a public_key")
            if secret is not None:
                self._check_secret(secret, "secret")
        elif public_key is None and secret is None and not key_set:
            raise BoltConfigError(f"JWTAuthentication: {self.algorithms[0]} needs public_key (a PEM public key)")
        self.header = header.lower()
        self.cookie = cookie
        #: with ``cookie``: unsafe methods must come from the same origin (Origin/Referer)
        self.cookie_csrf = cookie_csrf
        self.audience = audience
        self.issuer = issuer
        self.leeway = leeway
        if revoked_token_handler is not None:  # django-bolt's form of a revocation check
            if revocation_store is not None:
                raise BoltConfigError("JWTAuthentication: give revocation_store or revoked_token_handler, not both")
            revocation_store = HandlerRevocation(revoked_token_handler)
        self.revocation_store = revocation_store
        self.require_jti = require_jti or revocation_store is not None

    @staticmethod
    def _check_secret(secret: str | bytes, where: str) -> None:
        """Refuse an HS secret shorter than the hash (RFC 7518 3.2); with Django's DEBUG on,
        warn loudly once instead (django-bolt projects' development secrets)."""
        if _secret_bytes(secret) < MIN_HMAC_SECRET_BYTES:
            if short_secret_allowed():
                _warn_short_secret(where, _secret_bytes(secret))
                return
            raise BoltConfigError(
                f"JWTAuthentication: the HS {where} is {_secret_bytes(secret)} bytes; it must be at least "
                f"{MIN_HMAC_SECRET_BYTES} (use a long random value, e.g. secrets.token_urlsafe(48))"
            )

    @property
    def secret(self) -> str | None:
        """The HMAC secret: the one given, else Django's ``SECRET_KEY`` (checked on use)."""
        if self._secret is not None or self.family != "hmac":
            return self._secret
        key = getattr(settings, "SECRET_KEY", "")
        if not key:
            raise BoltConfigError("JWTAuthentication: no secret given and settings.SECRET_KEY is empty")
        self._check_secret(key, "secret (settings.SECRET_KEY)")
        return str(key)

    def to_metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "type": "jwt",
            "algorithms": self.algorithms,
            "header": self.header,
            "leeway": self.leeway,
            "require_jti": self.require_jti,
        }
        if self.jwks is not None or self.jwks_url is not None or self.oidc_issuer is not None:
            if self.jwks is not None:
                meta["jwks"] = self.jwks
            elif self.jwks_url is not None:
                meta["jwks_url"] = self.jwks_url
            else:
                meta["oidc_issuer"] = self.oidc_issuer
            meta["jwks_refresh_interval"] = self.jwks_refresh_interval
        elif self.family == "hmac":
            meta["secret"] = secret = self.secret
            if secret is not None and _secret_bytes(secret) < MIN_HMAC_SECRET_BYTES:
                meta["short_secret_ok"] = True  # only reached with DEBUG on (_check_secret)
        else:
            meta["public_key"] = self.public_key if self.public_key is not None else self._secret
        for key in ("cookie", "audience", "issuer"):
            if getattr(self, key):
                meta[key] = getattr(self, key)
        if self.cookie and not self.cookie_csrf:
            meta["cookie_csrf_off"] = True
        if self.token_type != "access":
            meta["token_type"] = self.token_type
        store = self.revocation_store
        if isinstance(store, InMemoryRevocation):
            meta["revoked"] = sorted(store.revoked)
            meta["revocation_id"] = store.id
            if isinstance(store, SharedRevocation):
                meta["revocation_shared"] = True
                meta["revocation_ttl"] = store.default_ttl
        return meta

    def openapi_security_scheme(self) -> tuple[str, dict[str, Any]]:
        if self.header == "authorization":
            return "BearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        return f"JWTHeader_{self.header}", {"type": "apiKey", "in": "header", "name": self.header}


def _check_jwks(
    jwks: Mapping[str, Any] | str | None,
    url: str | None,
    secret: str | None,
    public_key: str | None,
    families: set[str],
    refresh: float,
) -> tuple[str | None, str | None]:
    """Validate the key-set options; returns (the set as JSON text, the URL). Go parses and
    fetches (``libbolt/auth/jwks.go``), so a bad set or an unreachable URL stops start-up."""
    if jwks is None and url is None:
        return None, None
    where = "JWTAuthentication"
    if jwks is not None and url is not None:
        raise BoltConfigError(f"{where}: give jwks or jwks_url, not both")
    if secret is not None or public_key is not None:
        raise BoltConfigError(f"{where}: a key set (jwks/jwks_url) replaces secret/public_key; give one or the other")
    if "hmac" in families:
        raise BoltConfigError(f"{where}: a key set holds public keys; use RS*/PS*/ES*/EdDSA algorithms with it")
    if isinstance(refresh, bool) or not isinstance(refresh, (int, float)) or refresh <= 0:
        raise BoltConfigError(f"{where}: jwks_refresh_interval must be a number of seconds > 0, got {refresh!r}")
    if url is not None:
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise BoltConfigError(f"{where}: jwks_url must be an https URL, got {url!r}")
        return None, url
    if isinstance(jwks, str):
        text = jwks
        try:
            parsed = json.loads(text)
        except ValueError:
            raise BoltConfigError(f"{where}: jwks is not JSON") from None
    else:
        parsed = jwks
        text = json.dumps(dict(jwks or {}))
    if not isinstance(parsed, Mapping) or not isinstance(parsed.get("keys"), list):
        raise BoltConfigError(f"{where}: jwks must be a key set, {{'keys': [...]}}")
    return text, None


class APIKeyAuthentication(BaseAuthentication):
    """A fixed set of keys sent in a header (default ``X-API-Key``), compared in Go in
    constant time. ``key_permissions`` gives each key the permissions guards check."""

    scheme_name = "api_key"

    def __init__(
        self,
        api_keys: Iterable[str] | None = None,
        header: str = "x-api-key",
        key_permissions: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.api_keys = set(api_keys or ())
        if not self.api_keys or not all(isinstance(k, str) and k for k in self.api_keys):
            raise BoltConfigError("APIKeyAuthentication: api_keys must be a non-empty set of non-empty strings")
        self.header = header.lower()
        self.key_permissions = {k: sorted(v) for k, v in (key_permissions or {}).items()}
        unknown = set(self.key_permissions) - self.api_keys
        if unknown:
            raise BoltConfigError("APIKeyAuthentication: key_permissions names keys that are not in api_keys")

    def to_metadata(self) -> dict[str, Any]:
        return {
            "type": "api_key",
            "api_keys": sorted(self.api_keys),
            "header": self.header,
            "key_permissions": self.key_permissions,
        }

    def openapi_security_scheme(self) -> tuple[str, dict[str, Any]]:
        return f"APIKey_{self.header}", {"type": "apiKey", "in": "header", "name": self.header}


class SessionAuthentication(BaseAuthentication):
    """Django's session (the ``sessionid`` cookie), evaluated in Python because it needs
    the session store and the user model. Routes using it run their guards in Python; a
    session user on an unsafe method must pass Django's CSRF checks (403)."""

    scheme_name = "session"
    python_side = True

    def to_metadata(self) -> dict[str, Any]:
        return {"type": "session"}

    async def authenticate(self, request: Request) -> dict[str, Any] | None:
        user = await request.auser()
        if not user.is_authenticated:
            return None
        permissions = await user.aget_all_permissions() if user.is_active else set()
        return {
            "user_id": str(user.pk),
            "auth_backend": self.scheme_name,
            "is_staff": bool(user.is_staff),
            "is_superuser": bool(user.is_superuser),
            "permissions": sorted(permissions),
        }

    def openapi_security_scheme(self) -> tuple[str, dict[str, Any]]:
        name = settings.SESSION_COOKIE_NAME if settings.configured else "sessionid"
        return "SessionAuth", {"type": "apiKey", "in": "cookie", "name": name}


def get_default_authentication_classes() -> list[BaseAuthentication]:
    """``settings.BOLT_AUTHENTICATION_CLASSES`` (instances), or no authentication."""
    if not settings.configured:
        return []
    value = getattr(settings, "BOLT_AUTHENTICATION_CLASSES", None) or []
    if not all(isinstance(b, BaseAuthentication) for b in value):
        raise BoltConfigError(
            "settings.BOLT_AUTHENTICATION_CLASSES must be a list of backend instances, e.g. [JWTAuthentication()]"
        )
    return list(value)
