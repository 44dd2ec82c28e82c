"""The metrics and access-log part of the server config (docs/observability.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..conf import BoltSettings


def go_config(s: BoltSettings, dev: bool, apis: Sequence[Any] = ()) -> dict[str, Any]:
    """Keys of libbolt/server/config.go: metrics_path, metrics_token, access_log.

    django-bolt's ``BoltAPI(enable_logging=False)`` on every API turns the access log off;
    the first ``logging_config`` given sets its sampling (``sample_rate``) and slow-request
    threshold (``min_duration_ms``)."""
    config: dict[str, Any] = {"metrics_path": s.METRICS_PATH or ""}
    if s.METRICS_TOKEN:
        config["metrics_token"] = s.METRICS_TOKEN
    enabled = not apis or any(getattr(a, "enable_logging", True) for a in apis)
    if s.ACCESS_LOG and enabled:
        log: dict[str, Any] = {
            "format": "text" if dev else "json",
            "sample": float(s.ACCESS_LOG_SAMPLE),
            "slow_ms": s.ACCESS_LOG_SLOW_MS or 0,
        }
        given = next((a.logging_config for a in apis if getattr(a, "logging_config", None) is not None), None)
        if given is not None:
            if given.sample_rate is not None:
                log["sample"] = float(given.sample_rate)
            if given.min_duration_ms is not None:
                log["slow_ms"] = int(given.min_duration_ms)
        if log["sample"] > 0:
            config["access_log"] = log
    return config
