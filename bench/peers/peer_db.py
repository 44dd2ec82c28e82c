"""DATABASES for the Django peers, matching what django_bolt.db.databases() gives "ours".

The peers' venvs cannot import this project's `django_bolt` (django-bolt on PyPI has the same
import name), so the same choices are written out here: DATABASE_URL parsed by
dj-database-url; PostgreSQL with Django's psycopg pool of DATABASE_POOL_SIZE (default 10)
connections; SQLite in WAL mode, synchronous=NORMAL, 20 s busy timeout, BEGIN IMMEDIATE.
No DATABASE_URL: no database (the routes that need none still work).
"""

from __future__ import annotations

import os
from typing import Any

MEMBER_FIELDS = ("id", "name", "email", "active", "score")


def databases() -> dict[str, dict[str, Any]]:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return {}
    import dj_database_url

    db: dict[str, Any] = dict(dj_database_url.parse(url))
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["CONN_MAX_AGE"] = None
        db["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
            "timeout": 20.0,
            "transaction_mode": "IMMEDIATE",
        }
    elif db["ENGINE"] == "django.db.backends.postgresql":
        size = int(os.environ.get("DATABASE_POOL_SIZE") or 10)
        db["OPTIONS"] = {"pool": {"min_size": min(2, size), "max_size": size, "timeout": 10.0}}
        db["CONN_MAX_AGE"] = 0
    return {"default": db}
