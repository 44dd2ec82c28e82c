"""Parameter markers: say where an argument comes from and how it is validated.

Use them as the default value or inside ``Annotated[...]``::

    async def search(q: str = Query(min_length=2), limit: Annotated[int, Query(le=100)] = 10,
                     x_trace: str | None = Header(None), user=Depends(current_user)): ...

``...`` (the default's default) means required.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Body", "Cookie", "Depends", "File", "Form", "Header", "Param", "Path", "Query"]

REQUIRED: Any = ...


@dataclass(frozen=True)
class Param:
    """A parameter marker: its source plus validation and documentation metadata."""

    source: str  # "query" | "path" | "header" | "cookie" | "body" | "form" | "file"
    default: Any = REQUIRED
    alias: str | None = None
    embed: bool = False
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    multiple_of: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    description: str | None = None
    example: Any = None
    deprecated: bool = False
    #: Header parameters only: ``x_custom`` is read from ``X-Custom`` unless this is False.
    convert_underscores: bool = True
    #: File parameters only.
    max_size: int | None = None
    min_size: int | None = None
    allowed_types: tuple[str, ...] | None = None
    max_files: int | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def constraints(self) -> dict[str, Any]:
        """The msgspec.Meta keyword arguments this marker sets."""
        names = ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "pattern")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


def Query(  # noqa: N802 - marker functions are spelled like classes, as in FastAPI
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
) -> Any:
    """A query-string parameter (``?name=value``; a ``list[...]`` type collects repeats)."""
    return Param("query", default, alias, False, gt, ge, lt, le, multiple_of, min_length, max_length, pattern,
                 description, example, deprecated)  # fmt: skip


def Path(  # noqa: N802
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
) -> Any:
    """A path parameter (``{name}`` in the route path). Always required."""
    if default is not REQUIRED:
        raise ValueError("path parameters are always required; Path() takes no default")
    return Param("path", default, alias, False, gt, ge, lt, le, multiple_of, min_length, max_length, pattern,
                 description, example, deprecated)  # fmt: skip


def Body(  # noqa: N802
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    embed: bool = False,
    description: str | None = None,
    example: Any = None,
) -> Any:
    """The JSON body; ``embed=True`` (or several body parameters) reads ``{"name": value}``."""
    return Param("body", default, alias, embed, description=description, example=example)


def Header(  # noqa: N802
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    convert_underscores: bool = True,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
) -> Any:
    """A request header; ``x_custom`` reads ``X-Custom`` (case-insensitive)."""
    return Param("header", default, alias, min_length=min_length, max_length=max_length, pattern=pattern,
                 description=description, example=example, deprecated=deprecated,
                 convert_underscores=convert_underscores)  # fmt: skip


def Cookie(  # noqa: N802
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
) -> Any:
    """A cookie value."""
    return Param("cookie", default, alias, min_length=min_length, max_length=max_length, pattern=pattern,
                 description=description, example=example, deprecated=deprecated)  # fmt: skip


def Form(  # noqa: N802
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
    example: Any = None,
) -> Any:
    """A field of an ``application/x-www-form-urlencoded`` body."""
    return Param("form", default, alias, min_length=min_length, max_length=max_length, pattern=pattern,
                 description=description, example=example)  # fmt: skip


def File(  # noqa: N802
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    max_size: int | None = None,
    min_size: int | None = None,
    allowed_types: list[str] | tuple[str, ...] | None = None,
    max_files: int | None = None,
    description: str | None = None,
) -> Any:
    """An uploaded file of a ``multipart/form-data`` body."""
    types = tuple(allowed_types) if allowed_types is not None else None
    return Param("file", default, alias, description=description, max_size=max_size, min_size=min_size,
                 allowed_types=types, max_files=max_files)  # fmt: skip


@dataclass(frozen=True)
class Depends:
    """Inject the result of ``dependency`` (async or sync, with parameters of its own).

    With ``use_cache`` (the default) a dependency used several times in one request runs once.
    """

    dependency: Callable[..., Any] | None = None
    use_cache: bool = True
