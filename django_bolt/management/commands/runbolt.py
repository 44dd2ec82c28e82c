"""``python manage.py runbolt``: serve every BoltAPI of the project from Go."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_bolt._routing.websocket import warn_socket_groups
from django_bolt._server.checks import startup_checks
from django_bolt._server.discovery import collect_routes, discover_apis
from django_bolt._server.logs import configure as configure_logging
from django_bolt._server.serve import ServeOptions, docs_path, loop_name, run
from django_bolt._server.state import per_worker_notice
from django_bolt._server.supervisor import Supervisor, SupervisorOptions
from django_bolt.conf import load_settings
from django_bolt.exceptions import BoltConfigError


class Command(BaseCommand):
    help = "Serve the project's django-bolt APIs (each installed app's api.py) over HTTP."
    requires_system_checks: list[str] = []  # checked below, after the arguments are parsed

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", help="address to bind (default DJANGO_BOLT['HOST'] or 127.0.0.1)")
        parser.add_argument("--port", type=int, help="port to bind (default DJANGO_BOLT['PORT'] or 8000)")
        parser.add_argument("--backlog", type=int, help="listen(2) backlog (default 1024)")
        parser.add_argument(
            "--workers",
            "--processes",
            type=int,
            dest="workers",
            help="worker processes (default DJANGO_BOLT_WORKERS, DJANGO_BOLT['WORKERS'] or one per CPU)",
        )
        parser.add_argument(
            "--max-requests",
            type=int,
            default=0,
            help="replace a worker after it served this many requests (default 0: never)",
        )
        parser.add_argument(
            "--max-requests-jitter",
            type=int,
            help="add up to this many requests at random per worker (default a tenth of --max-requests)",
        )
        parser.add_argument(
            "--max-rss",
            type=int,
            default=0,
            help="replace a worker whose resident memory exceeds this many MiB (default 0: never)",
        )
        parser.add_argument(
            "--graceful-timeout",
            type=float,
            help="seconds SIGTERM/SIGINT waits for in-flight requests before forcing them closed "
            "(default DJANGO_BOLT_GRACEFUL_TIMEOUT, DJANGO_BOLT['GRACEFUL_TIMEOUT'] or 30)",
        )
        parser.add_argument(
            "--workers-lifetime",
            type=float,
            default=0,
            metavar="S",
            help="replace a worker S seconds after it started serving, one at a time (default 0: never)",
        )
        parser.add_argument(
            "--respawn-failed-workers",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="replace a worker that crashes (default); --no-respawn-failed-workers lets the pool shrink",
        )
        parser.add_argument(
            "--workers-kill-timeout",
            type=float,
            metavar="S",
            help="SIGKILL a worker that has not stopped S seconds after SIGTERM "
            "(default: the graceful timeout plus 5 s)",
        )
        parser.add_argument("--pin", action="store_true", help="pin each worker to one CPU (sched_setaffinity)")
        parser.add_argument(
            "--dev",
            action="store_true",
            help="development: restart the workers when a Python file changes, tracebacks in 500 bodies, "
            "one worker unless --workers says otherwise",
        )
        parser.add_argument(
            "--skip-checks",
            action="store_true",
            help="skip Django's system checks and the unapplied-migrations warning at start-up",
        )
        parser.add_argument(
            "--no-admin",
            action="store_true",
            help="do not serve the Django admin: paths under its URL prefix get 404 from Go "
            "(the rest of ROOT_URLCONF is still served)",
        )
        parser.add_argument(
            "--keep-alive",
            type=float,
            help="seconds an idle keep-alive connection stays open (django-bolt's flag; "
            "default DJANGO_BOLT_KEEP_ALIVE or DJANGO_BOLT['IDLE_TIMEOUT'], 75)",
        )
        parser.add_argument(
            "--reload-dir",
            action="append",
            default=[],
            metavar="DIR",
            help="with --dev, also watch the .py files under DIR (repeatable; django-bolt's flag)",
        )
        parser.add_argument(
            "--reload-poll",
            action="store_true",
            help="with --dev, watch files by polling (for Docker volumes and network file systems)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        configure_logging(dev=options["dev"])
        if not options["skip_checks"]:
            startup_checks(self)
        # Through the environment as well, for the worker processes (django_bolt/_django/prepare.py).
        if options["no_admin"]:
            os.environ["DJANGO_BOLT_NO_ADMIN"] = "1"
        if options["dev"]:
            os.environ["DJANGO_BOLT_DEV"] = "1"
            watch_dirs(options["reload_dir"])
        elif options["reload_dir"]:
            raise CommandError("--reload-dir needs --dev")
        if options["keep_alive"] is not None:
            if options["keep_alive"] <= 0:
                raise CommandError("--keep-alive must be a positive number of seconds")
            os.environ["DJANGO_BOLT_KEEP_ALIVE"] = str(options["keep_alive"])  # read by every worker
        if options["graceful_timeout"] is not None:
            # through the environment, so that worker processes read the same value
            os.environ["DJANGO_BOLT_GRACEFUL_TIMEOUT"] = str(options["graceful_timeout"])
        try:
            conf = load_settings()
            apis = discover_apis(conf.API)
            routes = collect_routes(apis, conf.READY_PATH)
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
        dev = options["dev"]
        workers = options["workers"] or (1 if dev else conf.WORKERS or os.cpu_count() or 1)
        max_requests = options["max_requests"]
        if notice := per_worker_notice(workers, conf):
            logging.getLogger("django_bolt.supervisor").warning(notice)  # printed once, by the parent
        try:
            lifetime, kill_timeout = options["workers_lifetime"], options["workers_kill_timeout"]
            if lifetime < 0 or (kill_timeout is not None and kill_timeout <= 0):
                raise CommandError("--workers-lifetime must be >= 0 and --workers-kill-timeout > 0 seconds")
            supervised = (
                max_requests
                or options["max_rss"]
                or options["pin"]
                or dev
                or lifetime
                or not options["respawn_failed_workers"]
                or kill_timeout is not None
            )
            if workers == 1 and not supervised:
                configure_logging(dev=dev, worker_id=0)  # the one process is worker 0
                run(routes, dataclasses.replace(opts, dev=dev, worker_id=0), apis)  # no supervisor: it serves
                return
            jitter = options["max_requests_jitter"]
            if conf.STATE is None:  # with STATE, groups fan out through Redis
                warn_socket_groups(routes, workers)
            code = Supervisor(
                SupervisorOptions(
                    workers=workers,
                    host=opts.host,
                    port=opts.port,
                    backlog=opts.backlog,
                    graceful_timeout=conf.GRACEFUL_TIMEOUT,
                    max_requests=max_requests,
                    max_requests_jitter=max_requests // 10 if jitter is None else jitter,
                    max_rss=options["max_rss"] << 20,
                    pin=options["pin"],
                    reload=dev,
                    reload_poll=options["reload_poll"],
                    routes=len(routes),
                    docs=docs_path(apis),
                    loop=loop_name(conf.UVLOOP),
                    workers_lifetime=lifetime,
                    respawn_failed=options["respawn_failed_workers"],
                    kill_timeout=kill_timeout,
                )
            ).run()
        except BoltConfigError as exc:
            raise CommandError(str(exc)) from exc
        if code:
            sys.exit(code)


def watch_dirs(dirs: list[str]) -> None:
    """``--reload-dir``: add each directory to what Django's autoreloader watches."""
    if not dirs:
        return
    from django.utils import autoreload  # noqa: PLC0415 - lazy: the reloader loads only with --dev

    paths = [Path(d).resolve() for d in dirs]
    for path in paths:
        if not path.is_dir():
            raise CommandError(f"--reload-dir {path}: not a directory")

    def add(sender: Any, **kwargs: Any) -> None:
        for path in paths:
            sender.watch_dir(path, "**/*.py")

    autoreload.autoreload_started.connect(add, weak=False)
