"""Security schemes from a route's authentication backends.

An auth object describes itself with ``openapi_security_scheme() -> (name, scheme)``; the
django-bolt backends are also recognised by name: ``JWTAuthentication`` (HTTP bearer, JWT),
``APIKeyAuthentication`` (an API key in the header or cookie it reads) and
``SessionAuthentication`` (Django's session cookie)."""

from __future__ import annotations

from typing import Any


def scheme_of(auth: Any) -> tuple[str, dict[str, Any]]:
    describe = getattr(auth, "openapi_security_scheme", None)
    if callable(describe):
        name, scheme = describe()
        return str(name), dict(scheme)
    kind = type(auth).__name__
    if "JWT" in kind or "Bearer" in kind:
        return "BearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    if "APIKey" in kind or "ApiKey" in kind:
        where = getattr(auth, "location", None) or getattr(auth, "in_", None) or "header"
        key = getattr(auth, "header", None) or getattr(auth, "cookie", None) or getattr(auth, "name", None)
        key = key or ("X-API-Key" if where == "header" else "api_key")
        return f"APIKey{str(where).title()}", {"type": "apiKey", "in": str(where), "name": str(key)}
    if "Session" in kind:
        return "SessionAuth", {"type": "apiKey", "in": "cookie", "name": "sessionid"}
    raise ValueError(f"{kind} does not say how it authenticates; give it openapi_security_scheme()")


def route_auth(route: Any) -> list[Any]:
    """The auth backends a route declares (``auth=`` on the decorator), if any."""
    found = getattr(route, "auth", None) or route.extra.get("auth") or []
    return list(found) if isinstance(found, (list, tuple)) else [found]


def operation_security(auths: list[Any], schemes: dict[str, dict[str, Any]]) -> list[dict[str, list[str]]]:
    """Security requirements (any one backend suffices) and the schemes they use."""
    out: list[dict[str, list[str]]] = []
    for auth in auths:
        name, scheme = scheme_of(auth)
        schemes.setdefault(name, scheme)
        out.append({name: []})
    return out
