"""The Django-integration settings keys and the ASGI scope built from a record."""

from __future__ import annotations

import pytest

from django_bolt._django.scope import build_scope, client_of, header_list
from django_bolt.conf import load_settings
from django_bolt.exceptions import BoltConfigError


def test_defaults() -> None:
    s = load_settings({}, environ={})
    assert (s.DJANGO_FALLBACK, s.ADMIN, s.DJANGO_SIGNALS) == (True, True, False)


@pytest.mark.parametrize("key", ["DJANGO_FALLBACK", "ADMIN", "DJANGO_SIGNALS"])
def test_must_be_bool(key: str) -> None:
    with pytest.raises(BoltConfigError, match=key):
        load_settings({key: "no"}, environ={})


def test_scope_from_record_pieces() -> None:
    headers = header_list(b"host\x00x\x00cookie\x00a=1\x00x-request-id\x00id-1")
    assert headers == [(b"host", b"x"), (b"cookie", b"a=1"), (b"x-request-id", b"id-1")]
    scope = build_scope("POST", "/m/caf\u00e9".encode(), b"a=%2F", headers, client_of(b'{"client":["::1",5]}'), "/m")
    assert scope["path"] == "/m/caf\u00e9" and scope["raw_path"] == "/m/caf\u00e9".encode()
    assert scope["query_string"] == b"a=%2F" and scope["root_path"] == "/m"
    assert scope["client"] == ("::1", 5) and scope["type"] == "http" and scope["method"] == "POST"
    assert client_of(b"") is None and header_list(b"") == []
