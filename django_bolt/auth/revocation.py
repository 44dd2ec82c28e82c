"""Token revocation: refuse tokens whose ``jti`` was revoked before they expire.

Nothing is checked per request unless a backend has a ``revocation_store``:

- ``InMemoryRevocation`` (one process): the revoked ids live in Go. The set is sent at
  start-up and every ``revoke()`` is pushed into the running server at once, so the check
  costs a map lookup in Go and no Python.
- ``SharedRevocation`` (shared by every worker and host, checked in Go): revoked ids in
  the Redis of ``DJANGO_BOLT["STATE"]``; Go asks Redis, reusing a "not revoked" answer for
  ``STATE_OPTIONS["revocation_cache"]`` (1 s). Needs ``STATE``.
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

    async def consume(self, jti: str, expires_in: float | None = None) -> bool:
        """Revoke ``jti``; True if it was not revoked before (refresh-token rotation). This
        default checks then revokes; stores that can do it in one step override it."""
        if await self.is_revoked(jti):
            return False
        await self.revoke(jti, expires_in)
        return True

    async def get_user_version(self, user_id: str) -> int:
        """The user's token version (``ver`` in token pairs); 0 until bumped. Stores that
        do not keep versions always answer 0."""
        return 0

    async def revoke_family(self, family: str, expires_in: float | None = None) -> None:
        """Revoke every refresh token rotated from one login (kept as the id
        ``family:<family>``, so any store can hold it)."""
        await self.revoke(FAMILY_PREFIX + family, expires_in)

    async def is_family_revoked(self, family: str) -> bool:
        return await self.is_revoked(FAMILY_PREFIX + family)

    async def bump_user_version(self, user_id: str) -> int:
        """ "Log out everywhere": refresh tokens minted before are refused at rotation.
        Returns the new version."""
        raise NotImplementedError(f"{type(self).__name__} keeps no user versions")


class InMemoryRevocation(RevocationStore):
    """Revoked ids in this process's memory (checked in Go)."""

    def __init__(self, revoked: set[str] | None = None) -> None:
        self.id = next(_ids)
        self.revoked: set[str] = set(revoked or ())
        self.versions: dict[str, int] = {}

    def revoke_now(self, jti: str) -> None:
        """Revoke ``jti``; servers running in this process refuse it from the next request."""
        self.revoked.add(jti)
        self._push(f"{self.id}\0{jti}")

    def _push(self, msg: str) -> None:
        # Lazy: cffi and the C declarations load only in a process that serves.
        from .._native import library as native  # noqa: PLC0415

        lib = native.loaded()
        if lib is not None:
            data = msg.encode()
            if lib.bolt_revoke(native.ffi.from_buffer(data), len(data)) < 0:
                raise RuntimeError(native.last_error(lib))

    async def revoke(self, jti: str, expires_in: float | None = None) -> None:
        self.revoke_now(jti)

    async def is_revoked(self, jti: str) -> bool:
        return jti in self.revoked

    async def consume(self, jti: str, expires_in: float | None = None) -> bool:
        # revoke() never suspends here, so the check and the add are one step of the loop.
        if jti in self.revoked:
            return False
        await self.revoke(jti, expires_in)
        return True

    async def get_user_version(self, user_id: str) -> int:
        return self.versions.get(str(user_id), 0)

    async def bump_user_version(self, user_id: str) -> int:
        v = self.versions[str(user_id)] = self.versions.get(str(user_id), 0) + 1
        return v


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

    async def consume(self, jti: str, expires_in: float | None = None) -> bool:
        # cache.add sets only a missing key, atomically in Redis and Memcached.
        return bool(await self._cache().aadd(self.prefix + jti, True, expires_in or self.default_ttl))

    async def get_user_version(self, user_id: str) -> int:
        return int(await self._cache().aget(f"{self.prefix}ver:{user_id}", 0))

    async def bump_user_version(self, user_id: str) -> int:
        cache, key = self._cache(), f"{self.prefix}ver:{user_id}"
        await cache.aadd(key, 0, None)  # kept until bumped again (no expiry)
        return int(await cache.aincr(key))


class SharedRevocation(InMemoryRevocation):
    """Revoked ids in the shared state store (``DJANGO_BOLT["STATE"]``, Redis), checked in
    Go by every worker and host. ``revoke()`` writes through the server running in this
    process (call it from a handler, e.g. a logout endpoint); each entry lasts
    ``expires_in`` seconds (default ``default_ttl``, one day), as long as the tokens live.
    A worker reuses a "not revoked" answer for ``STATE_OPTIONS["revocation_cache"]``
    seconds (1 by default), so a revocation reaches other workers within that time. When
    Redis cannot be written, ``revoke()`` raises ``RuntimeError``. ``is_revoked()`` answers
    from this process's knowledge only; the server's check (in Go) asks Redis."""

    def __init__(self, revoked: set[str] | None = None, default_ttl: float = 86400) -> None:
        super().__init__(revoked)
        if isinstance(default_ttl, bool) or not isinstance(default_ttl, (int, float)) or not default_ttl > 0:
            raise ValueError(f"SharedRevocation default_ttl must be a positive number of seconds, got {default_ttl!r}")
        self.default_ttl = float(default_ttl)

    def revoke_now(self, jti: str, expires_in: float | None = None) -> None:
        """Revoke ``jti`` here and in Redis for ``expires_in`` seconds (default ``default_ttl``)."""
        self.revoked.add(jti)
        self._push(f"{self.id}\0{jti}\0{float(expires_in or self.default_ttl)!r}")

    async def revoke(self, jti: str, expires_in: float | None = None) -> None:
        self.revoke_now(jti, expires_in)


class HandlerRevocation(RevocationStore):
    """django-bolt's ``revoked_token_handler``: an ``async`` (or plain) ``fn(jti) -> bool``
    answering whether a token id is revoked, checked in Python like the cache store."""

    def __init__(self, handler: Any) -> None:
        if not callable(handler):
            raise TypeError(f"revoked_token_handler must be callable, got {handler!r}")
        self.handler = handler

    async def is_revoked(self, jti: str) -> bool:
        result = self.handler(jti)
        if hasattr(result, "__await__"):
            result = await result
        return bool(result)

    async def revoke(self, jti: str, expires_in: float | None = None) -> None:
        raise NotImplementedError("a revoked_token_handler only answers; revoke in its own store")


class DjangoORMRevocation(RevocationStore):
    """Revoked ids as rows of a Django model (``"app_label.ModelName"`` with a ``jti``
    field), shared by every process that uses the database."""

    def __init__(self, model: str, field: str = "jti") -> None:
        if not isinstance(model, str) or "." not in model:
            raise TypeError(f"DjangoORMRevocation takes 'app_label.ModelName', got {model!r}")
        self.model_name = model
        self.field = field

    def _model(self) -> Any:
        from django.apps import apps  # noqa: PLC0415 - lazy: the app registry is ready only after setup

        return apps.get_model(self.model_name)

    async def revoke(self, jti: str, expires_in: float | None = None) -> None:
        await self._model().objects.aget_or_create(**{self.field: jti})

    async def is_revoked(self, jti: str) -> bool:
        return bool(await self._model().objects.filter(**{self.field: jti}).aexists())

    async def consume(self, jti: str, expires_in: float | None = None) -> bool:
        # One row per jti (make the field unique): the database decides who created it.
        _, created = await self._model().objects.aget_or_create(**{self.field: jti})
        return bool(created)


def create_revocation_handler(store: RevocationStore) -> Any:
    """A ``revoked_token_handler`` backed by ``store`` (django-bolt's helper)."""

    async def handler(jti: str) -> bool:
        return await store.is_revoked(jti)

    return handler


#: Prefix of a token family's id in a store (refresh-token reuse detection).
FAMILY_PREFIX = "family:"


async def consume(store: RevocationStore, jti: str, expires_in: float | None = None) -> bool:
    """Spend ``jti`` in ``store``: True the first time, False once spent or revoked."""
    return await store.consume(jti, expires_in)


async def revoke_family(store: RevocationStore, family: str, expires_in: float | None = None) -> None:
    """Revoke a refresh-token family (every token rotated from one login)."""
    await store.revoke_family(family, expires_in)


async def is_family_revoked(store: RevocationStore, family: str) -> bool:
    return await store.is_family_revoked(family)
