"""Rate limiting through a real runbolt: token buckets in Go, 429 + Retry-After, keyed by the
peer's address (forwarded addresses only from trusted proxies), which needs a real socket. Keys
by header or user and the bounded key store are tested in-process in
tests/py/integration/test_ratelimit.py. The server's clock is frozen (TEST_CLOCK), so buckets
never refill during a test."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from ..conftest import BoltProcess

NOW = int(time.time())


def _env(**extra: str) -> dict[str, str]:
    return {"TEST_AUTH": str(NOW), **extra}


@pytest.fixture
def serve(start_bolt: Callable[..., BoltProcess]) -> Iterator[Callable[..., httpx.Client]]:
    clients: list[httpx.Client] = []

    def start(**env: str) -> httpx.Client:
        server = start_bolt(env=_env(**env))
        c = httpx.Client(base_url=server.url, timeout=10)
        clients.append(c)
        return c

    yield start
    for c in clients:
        c.close()


def statuses(c: httpx.Client, path: str, n: int, **kw: object) -> list[int]:
    return [c.get(path, **kw).status_code for _ in range(n)]  # type: ignore[arg-type]


def test_burst_then_429_with_retry_after(serve: Callable[..., httpx.Client]) -> None:
    c = serve()
    assert statuses(c, "/limited", 2) == [200, 200]
    r = c.get("/limited")
    assert r.status_code == 429
    assert r.headers["retry-after"] == "1"
    assert r.headers["x-ratelimit-limit"] == "1"
    assert r.headers["x-ratelimit-burst"] == "2"
    assert r.json() == {"detail": "Rate limit exceeded. Try again in 1 seconds.", "retry_after": 1}
    # Other routes are not affected, and the server keeps serving.
    assert c.get("/hello").status_code == 200


def test_forwarded_for_ignored_from_untrusted_peer(serve: Callable[..., httpx.Client]) -> None:
    c = serve()
    got = [c.get("/limited", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(4)]
    assert got == [200, 200, 429, 429]  # one bucket: the peer 127.0.0.1


def test_forwarded_for_used_from_trusted_proxy(serve: Callable[..., httpx.Client]) -> None:
    c = serve(TEST_TRUSTED_PROXIES="127.0.0.1,::1")
    got = [c.get("/limited", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(4)]
    assert got == [200, 200, 200, 200]  # one bucket per forwarded client
    same = {"X-Forwarded-For": "6.6.6.6, 203.0.113.99"}
    assert statuses(c, "/limited", 3, headers=same) == [200, 200, 429]
    assert statuses(c, "/limited", 1, headers={"Forwarded": 'for="198.51.100.1"'}) == [200]
