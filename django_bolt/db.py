"""``DATABASES`` for ``settings.py``: PostgreSQL with a pool from ``DATABASE_URL``, else SQLite.

::

    # settings.py
    from django_bolt.db import databases

    DATABASES = databases(BASE_DIR)

- ``DATABASE_URL`` set (``postgres://user:pass@host:5432/name``): parsed by dj-database-url;
  for PostgreSQL, psycopg 3 with Django's native connection pool
  (``OPTIONS={"pool": {...}}``), ``max_size`` from ``pool_size`` / ``DATABASE_POOL_SIZE``.
- Unset: SQLite in ``BASE_DIR / "db.sqlite3"`` in WAL mode with ``synchronous=NORMAL``, a busy
  timeout and ``BEGIN IMMEDIATE`` transactions; ``runbolt`` warns when ``DEBUG`` is False.

See docs/database.md.
"""

from __future__ import annotations

import os
import select
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_POOL_SIZE",
    "databases",
    "default_orm_threads",
    "dropped_by_server",
    "install_pool_checks",
    "sqlite_aliases",
]

#: Connections per process in the PostgreSQL pool unless ``pool_size``/``DATABASE_POOL_SIZE``
#: says otherwise; the ORM thread pool has as many threads (see ``ORM_THREADS``).
DEFAULT_POOL_SIZE = 10
#: ORM threads when the database has no pool (SQLite, or a pool-less server configuration).
DEFAULT_UNPOOLED_THREADS = 4

_POSTGRES_ENGINES = ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis")
_SQLITE_ENGINES = ("django.db.backends.sqlite3", "django.contrib.gis.db.backends.spatialite")
# WAL lets readers run while one connection writes; synchronous=NORMAL is durable across
# application crashes in WAL mode (only an OS crash may lose the last commits) and skips
# an fsync per commit.
_SQLITE_INIT = "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL"


def databases(
    base_dir: str | os.PathLike[str] | None = None,
    *,
    url: str | None = None,
    env: str = "DATABASE_URL",
    pool_size: int | None = None,
    pool_min_size: int | None = None,
    pool_timeout: float = 10.0,
    pool_check: bool = False,
    sqlite_name: str = "db.sqlite3",
    sqlite_timeout: float = 20.0,
) -> dict[str, dict[str, Any]]:
    """The ``DATABASES`` setting: ``{"default": {...}}``.

    ``url`` (default: the ``env`` environment variable) selects the server; without one,
    SQLite at ``base_dir / sqlite_name`` (``":memory:"`` or an absolute path are used as
    they are). For PostgreSQL, ``pool_size`` (default ``DATABASE_POOL_SIZE`` or 10) is the
    pool's ``max_size``; ``0`` turns the pool off and uses persistent connections with
    health checks instead. ``pool_check=True`` makes the pool test each connection before
    handing it out (one extra round trip per checkout); without it a broken connection is
    dropped when it is returned. ``pool_timeout`` is how long a checkout waits for a free
    connection before failing.
    """
    url = url if url is not None else os.environ.get(env, "")
    if url:
        return {"default": _from_url(url, _pool_size(pool_size), pool_min_size, pool_timeout, pool_check)}
    return {"default": _sqlite(_sqlite_path(base_dir, sqlite_name), sqlite_timeout)}


def _pool_size(pool_size: int | None) -> int:
    if pool_size is None:
        raw = os.environ.get("DATABASE_POOL_SIZE", "")
        try:
            pool_size = int(raw) if raw else DEFAULT_POOL_SIZE
        except ValueError:
            raise ValueError(f"DATABASE_POOL_SIZE must be an integer, got {raw!r}") from None
    if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 0:
        raise ValueError(f"pool_size must be a non-negative integer, got {pool_size!r}")
    return pool_size


def _from_url(
    url: str, pool_size: int, pool_min_size: int | None, pool_timeout: float, pool_check: bool
) -> dict[str, Any]:
    import dj_database_url  # noqa: PLC0415 - lazy: only when a DATABASE_URL is used

    config: dict[str, Any] = dict(dj_database_url.parse(url))
    engine = config.get("ENGINE", "")
    options: dict[str, Any] = dict(config.get("OPTIONS") or {})
    if engine in _SQLITE_ENGINES:
        return {**config, **_sqlite(config["NAME"], 20.0), "ENGINE": engine}
    if engine in _POSTGRES_ENGINES and pool_size:
        # A small warm core; the pool grows to max_size under load and shrinks when idle.
        min_size = min(2, pool_size) if pool_min_size is None else pool_min_size
        if not 0 <= min_size <= pool_size:
            raise ValueError(f"pool_min_size must be between 0 and pool_size ({pool_size}), got {min_size}")
        pool: dict[str, Any] = {"min_size": min_size, "max_size": pool_size, "timeout": pool_timeout}
        options["pool"] = pool
        # Django refuses persistent connections with a pool: "closing" returns it to the pool.
        # With a pool, CONN_HEALTH_CHECKS=True is how Django gives it psycopg's check (a round
        # trip per checkout; it passes `check=` itself, so the pool options cannot); without
        # it, runbolt installs the cheaper dropped_by_server (install_pool_checks).
        config.update(CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=pool_check)
    else:
        config.update(CONN_MAX_AGE=600, CONN_HEALTH_CHECKS=True)
    config["OPTIONS"] = options
    return config


def dropped_by_server(conn: Any) -> None:
    """The pool's default ``check``: refuse a pooled connection the server has closed.

    After a PostgreSQL restart every idle pooled connection is dead, and without a check each
    one would fail the query it was handed to. An idle connection has nothing to read, so
    one non-blocking poll(2) of its socket tells: readable means the server closed it (EOF)
    or wrote to it unasked ("terminating connection due to administrator command"). Such a
    connection is closed, so the pool discards it and hands out another or opens a new one.
    Speed: one syscall per checkout instead of psycopg's check_connection round trip to the
    server (``pool_check=True``).
    """
    if conn.closed:
        raise ConnectionError("pooled connection is closed")
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    if poller.poll(0):
        conn.close()
        raise ConnectionError("the server closed this pooled connection (restarted?)")


def install_pool_checks() -> list[str]:
    """Give every PostgreSQL pool without a check ``dropped_by_server`` (runbolt does this at
    start-up); returns the aliases it was installed for.

    Django builds the psycopg pool itself and passes ``check=`` only for
    ``CONN_HEALTH_CHECKS=True`` (psycopg's round trip), so the cheap check is set on the pool
    object Django made, before the pool is opened.
    """
    # Lazy: settings.py imports this module before Django is configured.
    from django.db import connections  # noqa: PLC0415

    installed = []
    for alias in connections:
        wrapper = connections[alias]
        if wrapper.vendor != "postgresql" or not wrapper.settings_dict.get("OPTIONS", {}).get("pool"):
            continue
        pool = getattr(wrapper, "pool", None)  # the postgresql backend's (Django 5.1+)
        if pool is not None and getattr(pool, "_check", None) is None:
            pool._check = _sweeping_check(pool)  # psycopg_pool keeps the check here (3.1-3.3)
            installed.append(alias)
    return installed


def _sweeping_check(pool: Any) -> Callable[[Any], None]:
    """dropped_by_server, and on the first dead connection every idle one is checked at once
    (``pool.check()``): a restart kills them all, and psycopg waits 1 s, 2 s, 4 s... between
    the failed checks of one checkout, so meeting them one by one took seconds."""

    def check(conn: Any) -> None:
        try:
            dropped_by_server(conn)
        except ConnectionError:
            pool.check()  # drops the dead idle connections; the pool opens new ones
            raise

    return check


def _sqlite_path(base_dir: str | os.PathLike[str] | None, name: str) -> str:
    if name == ":memory:" or name.startswith("file:") or os.path.isabs(name):
        return name
    if base_dir is None:
        raise ValueError("databases(): pass BASE_DIR (or an absolute sqlite_name) when DATABASE_URL is unset")
    return str(Path(base_dir) / name)


def _sqlite(name: str, timeout: float) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        # Each ORM thread keeps its connection: opening SQLite is cheap but not free, and
        # nothing is gained by closing it.
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            "init_command": _SQLITE_INIT,
            "timeout": timeout,  # busy timeout: wait for the writer instead of "database is locked"
            # BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that later
            # writes cannot wait for the lock (SQLITE_BUSY at once, busy timeout ignored).
            "transaction_mode": "IMMEDIATE",
        },
    }


def sqlite_aliases(dbs: dict[str, dict[str, Any]]) -> list[str]:
    """The aliases in ``dbs`` (a ``DATABASES`` value) that use SQLite."""
    return [alias for alias, cfg in dbs.items() if cfg.get("ENGINE", "") in _SQLITE_ENGINES]


def default_orm_threads(dbs: dict[str, dict[str, Any]]) -> int:
    """Threads for ORM calls: the default database's pool size, or 4 without a pool."""
    pool = (dbs.get("default", {}).get("OPTIONS") or {}).get("pool")
    if isinstance(pool, dict):
        size = pool.get("max_size", pool.get("min_size", 4))
        return int(size) if isinstance(size, int) and size > 0 else DEFAULT_UNPOOLED_THREADS
    if pool:  # pool=True: psycopg_pool's defaults, 4 connections
        return 4
    return DEFAULT_UNPOOLED_THREADS
