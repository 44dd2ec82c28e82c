"""Shared state in Redis (DJANGO_BOLT["STATE"]) through real runbolt processes: a rate
limit holds across two workers and across two instances, a SharedRevocation made through
one instance is refused by the other, and a Redis stopped mid-test gives the configured
failure mode, never a hang. Redis is the throwaway server of tests/redis/run.sh (REDIS_URL);
the failure tests start their own redis-server so that they can stop it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ..conftest import TEST_PROJECT, BoltProcess, free_port

Start = Callable[..., BoltProcess]


def _require(what: str, value: str | None) -> str:
    """The Redis tests skip on a developer machine without Redis; under CI=true a missing
    Redis fails them (a skip there would count as a pass)."""
    if value:
        return value
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI=true (tests/redis/run.sh provides it)")
    pytest.skip(f"{what} is not available (tests/redis/run.sh)")


@pytest.fixture
def redis_url() -> str:
    return _require("REDIS_URL", os.environ.get("REDIS_URL"))


class OwnRedis:
    """A redis-server this test can stop and start again on the same port."""

    def __init__(self, tmp: Path) -> None:
        self.binary = _require("redis-server", shutil.which("redis-server"))
        self.port = free_port()
        self.tmp = tmp
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            cwd=self.tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    r = OwnRedis(tmp_path)
    r.start()
    yield r
    r.stop()


def _serve(start_bolt: Start, url: str, *args: str, options: dict[str, object] | None = None) -> BoltProcess:
    env = {"TEST_STATE": url}
    if options:
        env["TEST_BOLT_SETTINGS"] = json.dumps({"STATE_OPTIONS": options})
    return start_bolt(TEST_PROJECT, *args, env=env)


def _limited(url: str, client: str) -> httpx.Response:
    # A connection per request, so that SO_REUSEPORT can pick either worker.
    return httpx.get(f"{url}/shared/limited", headers={"X-Client": client, "Connection": "close"}, timeout=10)


def _wait_log(server: BoltProcess, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in server.log():
        assert server.proc.poll() is None, server.log()
        assert time.monotonic() < deadline, f"{text!r} never logged:\n{server.log()}"
        time.sleep(0.05)


def test_limit_holds_across_two_workers(start_bolt: Start, redis_url: str) -> None:
    server = _serve(start_bolt, redis_url, "--workers", "2")
    _wait_log(server, "ready on http")
    assert "per worker" not in server.log()
    client = uuid.uuid4().hex
    replies = [_limited(server.url, client) for _ in range(60)]
    ok = [r for r in replies if r.status_code == 200]
    assert len(ok) == 10, [r.status_code for r in replies]  # the burst, not 10 per worker
    assert {r.status_code for r in replies} == {200, 429}
    refused = next(r for r in replies if r.status_code == 429)
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["detail"].startswith("Rate limit exceeded")
    # Both workers served (the shared bucket, not one lucky worker, held the limit).
    pids = {httpx.get(f"{server.url}/shared/pid", headers={"Connection": "close"}).json()["pid"] for _ in range(100)}
    assert len(pids) == 2


def test_limit_holds_across_two_instances(start_bolt: Start, redis_url: str) -> None:
    a = _serve(start_bolt, redis_url)
    b = _serve(start_bolt, redis_url)
    client = uuid.uuid4().hex
    codes = [_limited((a, b)[i % 2].url, client).status_code for i in range(60)]
    assert codes.count(200) == 10, codes
    assert codes[:10] == [200] * 10


def test_multi_worker_start_without_state_says_limits_are_per_worker(start_bolt: Start) -> None:
    server = start_bolt(TEST_PROJECT, "--workers", "2")
    _wait_log(server, "ready on http")
    assert server.log().count("rate limits and InMemoryRevocation are per worker") == 1


def test_revocation_reaches_the_other_instance(start_bolt: Start, redis_url: str) -> None:
    options = {"revocation_cache": 0.001}
    a = _serve(start_bolt, redis_url, options=options)
    b = _serve(start_bolt, redis_url, options=options)
    jti = uuid.uuid4().hex
    tok = httpx.post(f"{a.url}/shared/token/{jti}").json()["token"]
    auth = {"Authorization": f"Bearer {tok}"}
    assert httpx.get(f"{a.url}/shared/me", headers=auth).status_code == 200
    assert httpx.get(f"{b.url}/shared/me", headers=auth).status_code == 200
    assert httpx.post(f"{a.url}/shared/logout/{jti}", headers=auth).status_code == 200
    time.sleep(0.01)  # past b's 1 ms "not revoked" cache
    for server in (a, b):
        r = httpx.get(f"{server.url}/shared/me", headers=auth)
        assert r.status_code == 401, r.text
        assert "revoked" in r.json()["detail"]


def _failures(server: BoltProcess, feature: str) -> int:
    text = httpx.get(f"{server.url}/metrics").text
    for line in text.splitlines():
        if line.startswith(f'bolt_state_failures_total{{feature="{feature}"}}'):
            return int(line.split()[-1])
    raise AssertionError(f"no bolt_state_failures_total for {feature}:\n{text}")


def test_redis_stopped_mid_test_rate_limits_fail_open(start_bolt: Start, own_redis: OwnRedis) -> None:
    server = _serve(start_bolt, own_redis.url)
    client = uuid.uuid4().hex
    codes = [_limited(server.url, client).status_code for _ in range(12)]
    assert codes == [200] * 10 + [429, 429]
    own_redis.stop()
    # Open (the default): served, uncounted, each within the call timeout.
    codes = [_limited(server.url, client).status_code for _ in range(5)]
    assert codes == [200] * 5
    assert _failures(server, "rate_limit") >= 5
    assert server.log().count("state: rate_limit: Redis call failed (rate limits fail open)") == 1
    # Redis back: the limit is enforced again (a fresh, empty Redis: a new burst).
    own_redis.start()
    deadline = time.monotonic() + 20
    codes = []
    while time.monotonic() < deadline and 429 not in codes:
        codes.append(_limited(server.url, client).status_code)
    assert 429 in codes


def test_redis_stopped_mid_test_rate_limits_fail_closed(start_bolt: Start, own_redis: OwnRedis) -> None:
    server = _serve(start_bolt, own_redis.url, options={"rate_limit": "closed", "timeout": 0.1})
    client = uuid.uuid4().hex
    assert _limited(server.url, client).status_code == 200
    own_redis.stop()
    r = _limited(server.url, client)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "1"
    assert httpx.get(f"{server.url}/shared/pid").status_code == 200  # unlimited routes unaffected


def test_redis_stopped_revocation_fails_closed(start_bolt: Start, own_redis: OwnRedis) -> None:
    server = _serve(start_bolt, own_redis.url)
    jti = uuid.uuid4().hex
    tok = httpx.post(f"{server.url}/shared/token/{jti}").json()["token"]
    auth = {"Authorization": f"Bearer {tok}"}
    own_redis.stop()
    time.sleep(1.1)  # past the 1 s "not revoked" cache (none yet; a safety margin)
    r = httpx.get(f"{server.url}/shared/me", headers=auth, timeout=10)
    assert r.status_code == 401
    assert "could not be checked" in r.json()["detail"]
    assert _failures(server, "revocation") >= 1
    # The logout route is refused the same way: nothing is served on an unchecked token.
    assert httpx.post(f"{server.url}/shared/logout/{jti}", headers=auth).status_code == 401


def test_state_setting_is_validated(start_bolt: Start) -> None:
    server = start_bolt(TEST_PROJECT, env={"TEST_STATE": "http://localhost:6379"}, ready=False)
    assert server.proc.wait(60) != 0
    assert "DJANGO_BOLT['STATE'] must be a redis://" in server.log()


def test_shared_revocation_without_state_fails_start_up(start_bolt: Start) -> None:
    env = {"TEST_BOLT_SETTINGS": json.dumps({"API": ["testproject.state_api.api"]})}
    server = start_bolt(TEST_PROJECT, env=env, ready=False)
    assert server.proc.wait(60) != 0
    assert "SharedRevocation needs DJANGO_BOLT['STATE']" in server.log()
