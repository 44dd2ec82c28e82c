"""``MediaType`` and ``FileSize``, django-bolt's enums for response types and upload limits::

from django_bolt.enums import FileSize, MediaType

async def avatar(file: Annotated[UploadFile, File(max_size=FileSize.MB_5)]): ...
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = ["FileSize", "MediaType"]


class MediaType(StrEnum):
    """Common media types (usable wherever a ``media_type`` string is)."""

    JSON = "application/json"
    HTML = "text/html"
    TEXT = "text/plain"
    CSS = "text/css"
    XML = "application/xml"
    MESSAGEPACK = "application/x-msgpack"


_MIB = 1024 * 1024


class FileSize(IntEnum):
    """Byte counts for upload limits (``File(max_size=FileSize.MB_10)``)."""

    MB_1 = _MIB
    MB_2 = 2 * _MIB
    MB_3 = 3 * _MIB
    MB_4 = 4 * _MIB
    MB_5 = 5 * _MIB
    MB_6 = 6 * _MIB
    MB_7 = 7 * _MIB
    MB_8 = 8 * _MIB
    MB_9 = 9 * _MIB
    MB_10 = 10 * _MIB
    MB_15 = 15 * _MIB
    MB_20 = 20 * _MIB
    MB_25 = 25 * _MIB
    MB_30 = 30 * _MIB
    MB_50 = 50 * _MIB
    MB_75 = 75 * _MIB
    MB_100 = 100 * _MIB
