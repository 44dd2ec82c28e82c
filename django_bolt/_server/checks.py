"""What ``runbolt`` checks before serving, as ``runserver`` does, plus the database warnings."""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections

from ..db import sqlite_aliases


def startup_checks(command: BaseCommand) -> None:
    """System checks (errors stop the command), unapplied migrations, SQLite in production."""
    command.stdout.write("Performing system checks...")
    command.check(display_num_errors=True)
    # runserver's own warning: "You have N unapplied migration(s)... Run 'python manage.py migrate'"
    try:
        command.check_migrations()
    except DatabaseError as exc:  # the server may still come up; /ready reports the database
        command.stderr.write(f"WARNING: could not check for unapplied migrations: {exc}")
    warn_sqlite_in_production()
    # The checks opened connections on this thread; the server's threads open their own.
    connections.close_all()


def warn_sqlite_in_production() -> None:
    if settings.DEBUG:
        return
    aliases = sqlite_aliases(settings.DATABASES)
    if aliases:
        print(
            f"WARNING: database(s) {', '.join(aliases)} use SQLite and DEBUG is False. SQLite is for "
            "development: one writer at a time, one machine. Set DATABASE_URL to a PostgreSQL "
            "server for production (see django_bolt.db.databases).",
            file=sys.stderr,
            flush=True,
        )
