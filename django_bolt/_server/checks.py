"""What ``runbolt`` checks before serving, as ``runserver`` does, plus the database warnings.

Django's commands print their findings; here they go through the ``django_bolt`` logger, so
start-up output has runbolt's one log format like every other line (logs.py).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand, OutputWrapper
from django.db import DatabaseError, connections

from ..db import sqlite_aliases

logger = logging.getLogger("django_bolt")


def startup_checks(command: BaseCommand) -> None:
    """System checks (errors stop the command), unapplied migrations, SQLite in production."""
    found = _captured(command, lambda: command.check(display_num_errors=True))
    if found:
        logger.info("%s", found)
    # runserver's own warning: "You have N unapplied migration(s)... Run 'python manage.py migrate'"
    try:
        unapplied = _captured(command, command.check_migrations)
    except DatabaseError as exc:  # the server may still come up; /ready reports the database
        logger.warning("could not check for unapplied migrations: %s", exc)
    else:
        if unapplied:
            logger.warning("%s", unapplied)
    warn_sqlite_in_production()
    # The checks opened connections on this thread; the server's threads open their own.
    connections.close_all()


def _captured(command: BaseCommand, check: Callable[[], object]) -> str:
    """What ``check`` writes to the command's stdout and stderr, as one message."""
    saved = command.stdout, command.stderr
    buffer = io.StringIO()
    command.stdout = command.stderr = OutputWrapper(buffer)
    try:
        check()
    finally:
        command.stdout, command.stderr = saved
    return " ".join(line.strip() for line in buffer.getvalue().splitlines() if line.strip())


def warn_sqlite_in_production() -> None:
    if settings.DEBUG:
        return
    aliases = sqlite_aliases(settings.DATABASES)
    if aliases:
        logger.warning(
            "database(s) %s use SQLite and DEBUG is False. SQLite is for development: one writer at a "
            "time, one machine. Set DATABASE_URL to a PostgreSQL server for production "
            "(see django_bolt.db.databases).",
            ", ".join(aliases),
        )
