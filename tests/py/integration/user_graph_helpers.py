"""Helpers for test_user_graph.py, in their own module (followed as a module attribute)."""

from __future__ import annotations

from typing import Any

from django_bolt import Request


def name_of(request: Request) -> Any:
    return request.user


def unrelated(request: Request) -> Any:
    return request.headers.get("x-thing")


def ping(n: int) -> int:
    return pong(n) if n > 0 else 0


def pong(n: int) -> int:
    return ping(n - 1)


async def recursive_handler(request: Request) -> Any:
    return ping(3)
