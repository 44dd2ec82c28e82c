"""Log format of ``runbolt``: JSON lines in production, readable text with ``--dev``."""

from __future__ import annotations

import datetime
import json
import logging


class JSONLineFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, worker, and the traceback."""

    def __init__(self, worker_id: int | None = None) -> None:
        super().__init__()
        self.worker_id = worker_id

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.worker_id is not None:
            entry["worker"] = self.worker_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(dev: bool, worker_id: int | None = None) -> None:
    """Send INFO and above to stderr, readable with ``dev``, else as JSON lines."""
    handler = logging.StreamHandler()
    if dev:
        who = f"[worker {worker_id}]" if worker_id is not None else ""
        handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s %(name)s{who}: %(message)s", "%H:%M:%S"))
    else:
        handler.setFormatter(JSONLineFormatter(worker_id))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
