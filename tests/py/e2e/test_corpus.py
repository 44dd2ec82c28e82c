"""The raw-request corpus (tests/corpus/http/cases.json) over real sockets against runbolt.

Each case: the status of every reply in order (with "then": a later request sent once
those replies were read, and its replies' statuses), and whether the server closed the
connection afterwards (or, if not, still serves the next request on it).
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any

import pytest

from ..conftest import REPO, BoltProcess

CASES: list[dict[str, Any]] = json.loads((REPO / "tests/corpus/http/cases.json").read_text())


class _Sock:
    """Lets several http.client.HTTPResponse objects read one buffered stream in turn."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def makefile(self, *args: object, **kwargs: object) -> Any:
        return _Unclosable(self.stream)


class _Unclosable:
    """HTTPResponse closes its file after each body; the next reply needs the same one."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)

    def close(self) -> None:
        pass


def _read_reply(stream: Any) -> tuple[int, dict[str, str], bytes]:
    resp = http.client.HTTPResponse(_Sock(stream))  # type: ignore[arg-type]
    resp.begin()
    body = resp.read()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def _check_replies(stream: Any, statuses: list[int]) -> None:
    for i, want in enumerate(statuses):
        status, headers, body = _read_reply(stream)
        assert status == want, f"reply {i}: {status} {body!r}"
        if status >= 400:
            assert headers["content-type"] == "application/json"
            assert "detail" in json.loads(body)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_corpus(bolt: BoltProcess, case: dict[str, Any]) -> None:
    with socket.create_connection(("127.0.0.1", bolt.port), timeout=5) as s:
        s.sendall(case["request"].encode("latin-1"))
        stream = s.makefile("rb")
        _check_replies(stream, case["statuses"])
        if "then" in case:  # a later request on the connection, sent after the replies
            s.sendall(case["then"].encode("latin-1"))
            _check_replies(stream, case["then_statuses"])
        if case["close"]:
            s.settimeout(3)
            try:
                rest = stream.read()
            except ConnectionResetError:
                rest = b""
            assert rest == b"", f"bytes after the expected replies: {rest!r}"
        else:
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            assert _read_reply(stream)[0] == 200
