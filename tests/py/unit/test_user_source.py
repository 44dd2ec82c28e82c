"""Where request.user comes from is decided without a query: Go's context first."""

from __future__ import annotations

from django_bolt._django.session import _source
from django_bolt.request import Request


def test_go_authentication_context_wins() -> None:
    r = Request(1, b"/", "", b"cookie\x00sessionid=abc", b"", {}, b'{"context":{"user_id":7}}')
    assert _source(r) == "context"  # decided without settings, sessions or a query
