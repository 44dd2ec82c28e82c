"""The one log format of ``runbolt``, shared with Go (libbolt/internal/logline): every line
on stderr, Python's or Go's, is a JSON object in production

    {"time": "2026-12-06T20:30:01.123Z", "level": "INFO", "logger": "django_bolt", "message": "...", "worker": 0}

or, with ``--dev``, a readable line (the level coloured on a terminal)

    20:30:01 INFO django_bolt[worker 0]: ...

Same field names, the same UTC millisecond timestamp, and the worker id on every line of a
worker (the supervisor's own lines have none). The start-up banner is written once, by the
supervisor (or the single serving process).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

_COLOURS = {"ERROR": "\x1b[31m", "CRITICAL": "\x1b[31m", "WARNING": "\x1b[33m", "INFO": "\x1b[32m"}
_RESET = "\x1b[0m"


def utc_stamp(created: float) -> str:
    """``2026-12-06T20:30:01.123Z``: the format Go writes (logline.TimeLayout)."""
    whole = int(created)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((created - whole) * 1000):03d}Z"


class JSONLineFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, worker, and the traceback."""

    def __init__(self, worker_id: int | None = None) -> None:
        super().__init__()
        self.worker_id = worker_id

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": utc_stamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.worker_id is not None:
            entry["worker"] = self.worker_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


class DevFormatter(logging.Formatter):
    """``HH:MM:SS LEVEL logger[worker N]: message``, as Go's text lines."""

    def __init__(self, worker_id: int | None = None, colour: bool = False) -> None:
        super().__init__()
        self.who = f"[worker {worker_id}]" if worker_id is not None else ""
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        level = record.levelname
        if self.colour and level in _COLOURS:
            level = f"{_COLOURS[level]}{level}{_RESET}"
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        line = f"{stamp} {level} {record.name}{self.who}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def colour_wanted() -> bool:
    """Colour only for a person at a terminal."""
    return sys.stderr.isatty()


def configure(dev: bool, worker_id: int | None = None) -> None:
    """Send INFO and above to stderr, readable with ``dev``, else as JSON lines."""
    handler = logging.StreamHandler()
    if dev:
        handler.setFormatter(DevFormatter(worker_id, colour_wanted()))
    else:
        handler.setFormatter(JSONLineFormatter(worker_id))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.captureWarnings(True)  # Python's warnings too, as lines of the same format


def go_config(dev: bool, worker_id: int | None) -> dict[str, Any]:
    """Keys of libbolt/server/config.go: Go's own lines in the same format (log_format, worker)."""
    config: dict[str, Any] = {"log_format": ("color" if colour_wanted() else "text") if dev else "json"}
    if worker_id is not None:
        config["worker"] = worker_id
    return config


def banner(*, url: str, workers: int, loop: str, routes: int, docs: str | None, dev: bool) -> str:
    """The start-up banner, written once: what a person needs to start using the server."""
    mode = "development mode (--dev: autoreload, tracebacks in 500 bodies)" if dev else "production mode"
    parts = [f"{workers} worker{'s' if workers != 1 else ''}", f"{loop} event loop", f"{routes} routes"]
    if docs:
        parts.append(f"docs at {url}{docs}")
    return f"django-bolt-go ready on {url}: {', '.join(parts)}; {mode}"
