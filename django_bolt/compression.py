"""Response compression: ``BoltAPI(compression=CompressionConfig(...) | False)``.

Go compresses (brotli, zstd or gzip, negotiated from ``Accept-Encoding``); Python only
describes the policy. See docs/compression.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .exceptions import BoltConfigError

__all__ = ["CompressionConfig"]

Backend = Literal["brotli", "zstd", "gzip"]


def _check_range(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BoltConfigError(f"CompressionConfig.{name} must be an integer {low}-{high}, got {value!r}")


@dataclass(frozen=True)
class CompressionConfig:
    """How an API's responses are compressed (the names follow django-bolt).

    ``backend`` is preferred when the client accepts several codings equally (browsers
    send ``gzip, deflate, br, zstd``); with ``gzip_fallback`` (the default) the other codings
    are offered too, without it only ``backend``. Bodies under ``minimum_size`` bytes,
    ``text/event-stream``, binary types (images, archives), already-encoded responses, HEAD,
    204/304 and files are sent as they are. The levels default to fast settings: an API
    response is compressed on every request.
    """

    backend: Backend = "brotli"
    minimum_size: int = 500
    gzip_fallback: bool = True
    gzip_level: int = 1
    brotli_quality: int = 3
    zstd_level: int = 1

    def __post_init__(self) -> None:
        if self.backend not in ("brotli", "zstd", "gzip"):
            raise BoltConfigError(f"CompressionConfig.backend must be 'brotli', 'zstd' or 'gzip', got {self.backend!r}")
        if isinstance(self.minimum_size, bool) or not isinstance(self.minimum_size, int) or self.minimum_size < 0:
            raise BoltConfigError(f"CompressionConfig.minimum_size must be an integer >= 0, got {self.minimum_size!r}")
        if not isinstance(self.gzip_fallback, bool):
            raise BoltConfigError(f"CompressionConfig.gzip_fallback must be True or False, got {self.gzip_fallback!r}")
        _check_range("gzip_level", self.gzip_level, 1, 9)
        _check_range("brotli_quality", self.brotli_quality, 0, 11)
        _check_range("zstd_level", self.zstd_level, 1, 22)

    def to_go(self) -> dict[str, Any]:
        """The ``CompressConfig`` JSON of libbolt/middleware/compress/compress.go."""
        return {
            "backend": self.backend,
            "minimum_size": self.minimum_size,
            "gzip_fallback": self.gzip_fallback,
            "gzip_level": self.gzip_level,
            "brotli_quality": self.brotli_quality,
            "zstd_level": self.zstd_level,
        }


#: Attribute ``@no_compress`` sets on a handler function.
NO_COMPRESS_ATTR = "__bolt_no_compress__"

#: What Go receives for a route that is never compressed.
DISABLED: dict[str, Any] = {"disabled": True}


def resolve(compression: CompressionConfig | bool | None) -> CompressionConfig | None:
    """``BoltAPI(compression=...)`` as a config: ``True`` means the defaults, ``False`` and
    ``None`` turn compression off."""
    if compression is True:
        return CompressionConfig()
    if compression is False or compression is None:
        return None
    if not isinstance(compression, CompressionConfig):
        raise BoltConfigError(f"compression must be a CompressionConfig, True or False, got {compression!r}")
    return compression


def route_compression(handler: Any, api_config: CompressionConfig | None) -> dict[str, Any] | None:
    """What Go needs for one route: ``None`` when it uses the default policy."""
    if getattr(handler, NO_COMPRESS_ATTR, False) or api_config is None:
        return DISABLED
    if api_config == CompressionConfig():
        return None
    return api_config.to_go()


def go_config(routes: list[Any]) -> dict[str, Any]:
    """The ``route_compression`` part of the server config: only routes that differ from the
    default policy (compression on, default settings) are listed."""
    per_route = {}
    for i, r in enumerate(routes):
        if (c := route_compression(r.handler, r.compression)) is not None:
            per_route[str(i)] = c
    return {"route_compression": per_route} if per_route else {}
