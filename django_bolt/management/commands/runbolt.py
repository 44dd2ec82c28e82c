"""``python manage.py runbolt``: serve every BoltAPI of the project from Go."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_bolt._discovery import collect_routes, discover_apis
from django_bolt._serve import ServeOptions, serve
from django_bolt.conf import load_settings
from django_bolt.exceptions import BoltConfigError


class Command(BaseCommand):
    help = "Serve the project's django-bolt APIs (each installed app's api.py) over HTTP."
    requires_system_checks: list[str] = []  # checked below, after the arguments are parsed

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", help="address to bind (default DJANGO_BOLT['HOST'] or 127.0.0.1)")
        parser.add_argument("--port", type=int, help="port to bind (default DJANGO_BOLT['PORT'] or 8000)")
        parser.add_argument("--backlog", type=int, help="listen(2) backlog (default 1024)")

    def handle(self, *args: Any, **options: Any) -> None:
        self.check(display_num_errors=False)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        try:
            conf = load_settings()
            routes = collect_routes(discover_apis(conf.API))
        except BoltConfigError as exc:
            raise CommandError(str(exc)) from exc
        if not routes:
            raise CommandError(
                "no routes found: define `api = BoltAPI()` in an installed app's api.py "
                "or set DJANGO_BOLT = {'API': 'dotted.path.to.api'}"
            )
        opts = ServeOptions(
            host=options["host"] or conf.HOST,
            port=conf.PORT if options["port"] is None else options["port"],
            backlog=options["backlog"] or conf.BACKLOG,
            settings=conf,
            debug=bool(settings.DEBUG),
        )
        try:
            asyncio.run(serve(routes, opts))
        except BoltConfigError as exc:
            raise CommandError(str(exc)) from exc
