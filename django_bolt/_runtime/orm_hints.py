"""A useful message for ``SynchronousOnlyOperation``: which async ORM call to use instead.

Apart from ``orm``: ``encoding`` imports this for its error replies, and importing
django_bolt must not import django.db.models (which ``orm`` needs at import).
"""

from __future__ import annotations

import traceback

from django.core.exceptions import SynchronousOnlyOperation

_SPECIAL = {
    "__iter__": "`async for` (or `[x async for x in qs]`)",
    "__len__": "`await qs.acount()`",
    "__bool__": "`await qs.aexists()`",
    "__getitem__": "`async for` over the slice, or `await qs.afirst()`",
    "__get__": "`select_related()`/`prefetch_related()` in the query, or `sync_to_async`",
}


def sync_only_hint(exc: BaseException) -> str | None:
    """For ``SynchronousOnlyOperation``: which async call to use instead, else None."""
    if not isinstance(exc, SynchronousOnlyOperation):
        return None
    # Here only after such an error: django.db.models is not needed to import django_bolt.
    from django.db.models import Model, QuerySet  # noqa: PLC0415

    call = _django_entry(exc)
    suggestion = None
    if call is not None:
        suggestion = _SPECIAL.get(call)
        if suggestion is None and any(hasattr(cls, "a" + call) for cls in (QuerySet, Model)):
            suggestion = f"`await ...a{call}(...)`"
    where = f"`{call}()`" if call is not None else "a synchronous ORM call"
    use = suggestion or "the async ORM method (aget, acount, acreate, asave, `async for` ...)"
    return (
        f"{where} ran on the event loop (SynchronousOnlyOperation): use {use}, "
        "or wrap the code in `await sync_to_async(func)()` (asgiref.sync)"
    )


def _django_entry(exc: BaseException) -> str | None:
    """The first function inside django/db that the handler's code called."""
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename.replace("\\", "/")
        name = frame.f_code.co_name
        if "/django/db/" in filename and name not in ("manager_method", "inner"):
            return name
    return None
