"""The metrics and access-log part of the server config (docs/observability.md)."""

from __future__ import annotations

from typing import Any

from ..conf import BoltSettings


def go_config(s: BoltSettings, dev: bool) -> dict[str, Any]:
    """Keys of libbolt/server/config.go: metrics_path, metrics_token, access_log."""
    config: dict[str, Any] = {"metrics_path": s.METRICS_PATH or ""}
    if s.METRICS_TOKEN:
        config["metrics_token"] = s.METRICS_TOKEN
    if s.ACCESS_LOG:
        config["access_log"] = {
            "format": "text" if dev else "json",
            "sample": float(s.ACCESS_LOG_SAMPLE),
            "slow_ms": s.ACCESS_LOG_SLOW_MS or 0,
        }
    return config
