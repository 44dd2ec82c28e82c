"""``UploadFile``: a file from a ``multipart/form-data`` request, parsed by Go.

Small files arrive in memory; files larger than ``DJANGO_BOLT["FILE_UPLOAD_MAX_MEMORY_SIZE"]``
were written to a temp file by Go, which deletes it once the handler has answered. The file
is opened when the request is bound, so it stays readable for the whole handler even
after Go removed its name.
"""

from __future__ import annotations

import asyncio
import io
from typing import IO, Any

from django.core.files import File

__all__ = ["UploadFile"]


class UploadFile:
    """An uploaded file: ``filename``, ``content_type``, ``size``, ``headers`` (the part's
    headers, lower-case names), ``file`` (a Django ``File``: sync reads, ``chunks()``, usable
    with ``FileField.save``) and the async ``read(size)``, ``seek(offset, whence)`` and
    ``close()``.

    ``filename`` is the client's name stripped of any directory (``../../etc/passwd`` ->
    ``passwd``, ``C:\\x\\a.txt`` -> ``a.txt``), of non-printable characters and cut to 255
    characters keeping the extension, as Django's ``UploadedFile`` does; ``None`` when
    nothing usable is left (``..``). ``raw_filename`` is the name exactly as sent."""

    __slots__ = ("filename", "raw_filename", "content_type", "size", "headers", "file", "_on_disk")

    def __init__(
        self,
        file: IO[bytes],
        *,
        filename: str | None = None,
        content_type: str = "application/octet-stream",
        size: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        # A Django File around the stream (as django-bolt gives): FileField.save(name,
        # upload.file) works, and read/seek/chunks proxy to the stream.
        self.raw_filename = filename
        self.filename = safe_filename(filename)
        self.file: File[bytes] = file if isinstance(file, File) else File(file, name=self.filename)
        self.content_type = content_type
        self.size = size
        self.headers = headers or {}
        self._on_disk = not isinstance(file.file if isinstance(file, File) else file, io.BytesIO)

    @classmethod
    def from_bytes(
        cls, data: bytes, filename: str | None = None, content_type: str = "application/octet-stream"
    ) -> UploadFile:
        """An in-memory upload (handy in tests)."""
        return cls(io.BytesIO(data), filename=filename, content_type=content_type, size=len(data))

    async def read(self, size: int = -1) -> bytes:
        """Read ``size`` bytes (all by default); disk reads run in a thread."""
        if self._on_disk:
            data: bytes = await asyncio.to_thread(self.file.read, size)
            return data
        data = self.file.read(size)
        return data

    async def seek(self, offset: int, whence: int = 0) -> int:
        """Move to ``offset`` (from the start, or as ``whence`` says: 1 current, 2 end)."""
        position: int = self.file.seek(offset, whence)
        return position

    async def close(self) -> None:
        self.file.close()

    def __repr__(self) -> str:
        return f"UploadFile(filename={self.filename!r}, content_type={self.content_type!r}, size={self.size})"


#: Longest file name kept (most file systems' limit), as Django's UploadedFile.
MAX_FILENAME = 255


def safe_filename(name: str | None) -> str | None:
    """The last path component of a client-sent file name, printable characters only, at
    most MAX_FILENAME long (the extension kept); None for a name with nothing usable."""
    if name is None:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable()).strip()
    if base in ("", ".", ".."):
        return None
    if len(base) <= MAX_FILENAME:
        return base
    stem, dot, ext = base.rpartition(".")
    if dot and 0 < len(ext) < 16:  # keep a real extension, cut the stem
        return stem[: MAX_FILENAME - len(ext) - 1] + "." + ext
    return base[:MAX_FILENAME]


def build_files(meta: list[dict[str, Any]], body: bytes) -> list[tuple[str, UploadFile]]:
    """(field name, UploadFile) for each file Go parsed (libbolt/multipart/multipart.go)."""
    out: list[tuple[str, UploadFile]] = []
    for f in meta:
        size = f["size"]
        path = f.get("path")
        if path:
            fobj: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by UploadFile.close / GC
        else:
            off = f["offset"]
            fobj = io.BytesIO(body[off : off + size])
        headers = {k: v for k, v in f.get("headers") or []}
        upload = UploadFile(
            fobj,
            filename=f["filename"],
            content_type=f["content_type"] or "application/octet-stream",
            size=size,
            headers=headers,
        )
        out.append((f["name"], upload))
    return out
