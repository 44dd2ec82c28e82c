"""Helpers of dropin_b_api that read request.user (the analysis must follow them here)."""

from __future__ import annotations

from typing import Annotated

from django_bolt import Depends, Request


def owner_name(request: Request) -> str | None:
    user = request.user
    return None if user is None else user.get_username()


async def who(request: Request) -> str:
    return owner_name(request) or "stranger"


async def greeting(name: Annotated[str, Depends(who)]) -> str:
    return f"hello {name}"
