"""Token revocation: refuse tokens whose ``jti`` was revoked before they expire.

Nothing is checked per request unless a backend has a ``revocation_store``:

- ``InMemoryRevocation`` (one process): the revoked ids live in Go. The set is sent at
  start-up and every ``revoke()`` is pushed into the running server at once, so the check
  costs a map lookup in Go and no Python.
- ``DjangoCacheRevocation`` (shared by every worker and host): Python asks Django's cache
  (``await cache.aget``) before the handler, only on routes whose backend uses it.
"""

from __future__ import annotations

import itertools
from typing import Any

_ids = itertools.count(1)


class RevocationStore:
    """A place that remembers revoked token ids."""

    async def revoke(self, jti: str, expires_in: float | None = None) -> None:
        raise NotImplementedError

    async def is_revoked(self, jti: str) -> bool:
        raise NotImplementedError


class InMemoryRevocation(RevocationStore):
    """Revoked ids in this process's memory (checked in Go)."""

    def __init__(self, revoked: set[str] | None = None) -> None:
        self.id = next(_ids)
        self.revoked: set[str] = set(revoked or ())

    def revoke_now(self, jti: str) -> None:
        """Revoke ``jti``; servers running in this process refuse it from the next request."""
        self.revoked.add(jti)
        # Lazy: cffi and the C declarations load only in a process that serves.
        from .._native import library as native  # noqa: PLC0415

        lib = native.loaded()
        if lib is not None:
            data = f"{self.id}\0{jti}".encode()
            lib.bolt_revoke(native.ffi.from_buffer(data), len(data))

    async def revoke(self, jti: str, expires_in: float | None = None) -> None:
        self.revoke_now(jti)

    async def is_revoked(self, jti: str) -> bool:
        return jti in self.revoked


class DjangoCacheRevocation(RevocationStore):
    """Revoked ids in a Django cache (``CACHES[alias]``), shared across processes; each
    entry expires with the token (``expires_in``, default one day)."""

    def __init__(self, alias: str = "default", prefix: str = "bolt:revoked:", default_ttl: float = 86400) -> None:
        self.alias = alias
        self.prefix = prefix
        self.default_ttl = default_ttl

    def _cache(self) -> Any:
        from django.core.cache import caches  # noqa: PLC0415 - lazy: only apps using this store load the cache framework

        return caches[self.alias]

    async def revoke(self, jti: str, expires_in: float | None = None) -> None:
        await self._cache().aset(self.prefix + jti, True, expires_in or self.default_ttl)

    async def is_revoked(self, jti: str) -> bool:
        return bool(await self._cache().aget(self.prefix + jti))
