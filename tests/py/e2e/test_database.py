"""The async ORM through a real runbolt, on SQLite and on PostgreSQL (tests/pg/run.sh).

The PostgreSQL run needs DATABASE_URL (a server where it may create databases); it skips
without one, except under CI=true, where it fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..conftest import EXAMPLE_PROJECT, POSTGRES_URL, TEST_PROJECT, BoltProcess, run_manage

POOL_SIZE = 4  # small, so that 100 concurrent requests really share it


@dataclass
class DbServer:
    kind: str
    server: BoltProcess
    client: httpx.Client
    #: open connections (PostgreSQL) or open handles on the database file (SQLite) of the server
    connections: Callable[[], int]
    #: connections running a query right now (PostgreSQL), or 0
    busy: Callable[[], int]


def _migrate(env: dict[str, str]) -> None:
    done = run_manage("migrate", "--noinput", env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def _sqlite_handles(pid: int, db: Path) -> Callable[[], int]:
    def count() -> int:
        fd_dir = Path(f"/proc/{pid}/fd")
        n = 0
        for fd in fd_dir.iterdir():
            with contextlib.suppress(OSError):  # closed while we looked
                n += os.readlink(fd) == str(db)
        return n

    return count


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DbServer]:
    tmp = tmp_path_factory.mktemp(f"db-{request.param}")
    env = {"TEST_MARKER_DIR": str(tmp), "DATABASE_POOL_SIZE": str(POOL_SIZE)}
    cleanup: Callable[[], None] = lambda: None  # noqa: E731
    if request.param == "sqlite":
        path = tmp / "shop.sqlite3"
        env["TEST_DB"] = str(path)
    else:
        env["TEST_DATABASE_URL"], cleanup = _fresh_postgres_database()
    try:
        _migrate(env)
        server = BoltProcess(TEST_PROJECT, tmp / "runbolt.log", env=env)
        server.wait_ready()
        if request.param == "sqlite":
            connections, busy = _sqlite_handles(server.proc.pid, path), (lambda: 0)
        else:
            connections, busy = _pg_counters(env["TEST_DATABASE_URL"])
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield DbServer(request.param, server, client, connections, busy)
        server.stop()
    finally:
        cleanup()


# ---- PostgreSQL helpers ---------------------------------------------------------------------


def _fresh_postgres_database() -> tuple[str, Callable[[], None]]:
    """A new database on DATABASE_URL's server, and the function that drops it."""
    url = POSTGRES_URL
    if not url.startswith(("postgres://", "postgresql://")):
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true: the database tests must also run on PostgreSQL; set DATABASE_URL (tests/pg/run.sh)")
        pytest.skip("no PostgreSQL: DATABASE_URL is unset (make test starts one when it can, see tests/pg/run.sh)")
    import psycopg

    name = f"bolt_e2e_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    fresh = url.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return fresh, drop


def _pg_counters(url: str) -> tuple[Callable[[], int], Callable[[], int]]:
    import psycopg

    name = url.rsplit("/", 1)[1]
    lock = threading.Lock()
    conn = psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True)

    def query(extra: str) -> int:
        with lock:
            # Client backends only: an autovacuum worker (ANALYZE after the tests' inserts)
            # shows up under the database too, and is not one of the server's connections.
            sql = (
                f"SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend' {extra}"
            )
            row = conn.execute(sql, (name,)).fetchone()
        assert row is not None
        return int(row[0])

    return (lambda: query("")), (lambda: query("AND state = 'active'"))


# ---- CRUD -------------------------------------------------------------------------------------


def test_crud_on_a_real_model(db: DbServer) -> None:
    c = db.client
    r = c.post("/shop/products", json={"name": "crud-lamp", "price": 30, "stock": 2})
    assert r.status_code == 201, r.text
    created = r.json()
    pid = created["id"]
    assert created == {"id": pid, "name": "crud-lamp", "price": 30, "stock": 2}  # a model instance

    r = c.get(f"/shop/products/{pid}")
    assert r.status_code == 200
    assert r.json() == {"id": pid, "name": "crud-lamp", "price": 30}  # response_model shape

    r = c.patch(f"/shop/products/{pid}", json={"price": 35})
    assert r.status_code == 200
    assert r.json() == {"id": pid, "name": "crud-lamp", "price": 35}
    assert c.get(f"/shop/products/{pid}/full").json() == {"id": pid, "name": "crud-lamp", "price": 35, "stock": 2}

    assert c.delete(f"/shop/products/{pid}").json() == {"deleted": pid}
    r = c.get(f"/shop/products/{pid}")
    assert r.status_code == 404
    assert r.json() == {"detail": f"product {pid} not found"}
    assert c.delete(f"/shop/products/{pid}").status_code == 404


def test_bad_input_is_a_json_error_and_the_server_keeps_serving(db: DbServer) -> None:
    c = db.client
    r = c.post("/shop/products", json={"name": "no-price"})
    assert r.status_code == 422
    assert "detail" in r.json()
    r = c.post("/shop/orders", json={"product_id": 10**9, "quantity": 1})
    assert r.status_code == 422
    assert r.json() == {"detail": f"product {10**9} does not exist"}
    # A unique constraint violated: the database's error is a 500, the connection stays usable.
    assert c.post("/shop/products", json={"name": "dupe", "price": 1}).status_code == 201
    r = c.post("/shop/products", json={"name": "dupe", "price": 1})
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}
    assert c.get("/shop/products/count").status_code == 200


# ---- QuerySet and model returns ---------------------------------------------------------------


def _create(c: httpx.Client, name: str, price: int, stock: int = 0) -> dict[str, Any]:
    r = c.post("/shop/products", json={"name": name, "price": price, "stock": stock})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_queryset_returns(db: DbServer) -> None:
    c = db.client
    made = [_create(c, f"qs-{i}", 1000 + i, stock=i) for i in range(3)]
    ids = {p["id"] for p in made}

    listed = [p for p in c.get("/shop/products", params={"min_price": 1000}).json() if p["id"] in ids]
    assert listed == [{"id": p["id"], "name": p["name"], "price": p["price"]} for p in made]

    raw = [p for p in c.get("/shop/products/raw").json() if p["id"] in ids]
    assert raw == made  # every concrete field, in query order

    names = c.get("/shop/products/names").json()
    assert [n for n in names if n.startswith("qs-")] == ["qs-0", "qs-1", "qs-2"]
    streamed = c.get("/shop/products/stream").json()["names"]
    assert [n for n in streamed if n.startswith("qs-")] == ["qs-0", "qs-1", "qs-2"]
    assert c.get("/shop/products/count").json()["count"] == len(names)


def test_related_objects_projected_or_read_from_instances(db: DbServer) -> None:
    c = db.client
    product = _create(c, "rel-desk", 200)
    r = c.post("/shop/orders", json={"product_id": product["id"], "quantity": 3})
    assert r.status_code == 201
    order = r.json()
    assert order == {"id": order["id"], "product_id": product["id"], "quantity": 3}

    assert order in c.get("/shop/orders").json()  # .values("id", "product_id", "quantity")
    details = c.get("/shop/orders/detail").json()  # the nested product is loaded in the ORM pool
    expected = {"id": order["id"], "quantity": 3, "product": {"id": product["id"], "name": "rel-desk", "price": 200}}
    assert expected in details


# ---- the compiled SQL of returned QuerySets, kept per shape (django_bolt/_runtime/orm_sql.py)

#: Query shapes of /shop/shaped (shopapp/api.py): filters, params, ordering, slices; some
#: twice with other values (same shape, other parameters), some that are never kept.
_SHAPES: list[dict[str, Any]] = [
    {"shape": "range", "a": 7000, "b": 7002},
    {"shape": "range", "a": 7001, "b": 7004},
    {"shape": "range", "a": 7000, "b": 7004, "order": "-price,id", "start": 1, "stop": 3},
    {"shape": "range", "a": 7000, "b": 7004, "order": "-price,id", "start": 2, "stop": 4},
    {"shape": "range", "a": 7000, "b": 7004, "start": 1},
    {"shape": "in", "names": "sh-a,sh-c"},
    {"shape": "in", "names": "sh-b"},
    {"shape": "in", "names": "sh-d,sh-b,sh-a"},
    {"shape": "or", "a": 7003, "b": 1},
    {"shape": "or", "a": 7000, "b": 2},
    {"shape": "not", "a": 7001},
    {"shape": "null", "names": "sh-"},
    {"shape": "null", "names": "sh-c"},
    {"shape": "null"},
    {"shape": "none"},
    {"shape": "empty-in"},
    {"shape": "join", "a": 5},
    {"shape": "annotated", "a": 14004},
    {"order": "-name", "stop": 3},
]


def test_returned_querysets_of_every_shape_give_djangos_rows(db: DbServer) -> None:
    c = db.client
    made = {p["name"]: p for p in (_create(c, f"sh-{x}", 7000 + i, stock=i) for i, x in enumerate("abcd"))}
    assert c.post("/shop/orders", json={"product_id": made["sh-b"]["id"], "quantity": 5}).status_code == 201

    def rows(params: dict[str, Any]) -> list[dict[str, Any]]:
        got = c.get("/shop/shaped", params={"order": "id", **params})
        want = c.get("/shop/shaped/django", params={"order": "id", **params})
        assert got.status_code == 200 and want.status_code == 200, (params, got.text, want.text)
        assert got.json() == want.json(), params
        return [r for r in got.json() if r["name"].startswith("sh-")]

    for _ in range(2):  # the first round compiles the shapes, the second reuses them
        for params in _SHAPES:
            rows(params)
        # Spot checks of the rows themselves, after their shape was compiled for other values.
        assert [r["name"] for r in rows({"shape": "range", "a": 7001, "b": 7003})] == ["sh-b", "sh-c"]
        assert [r["name"] for r in rows({"shape": "in", "names": "sh-c,sh-a"})] == ["sh-a", "sh-c"]
        assert [r["name"] for r in rows({"shape": "or", "a": 7003, "b": 0})] == ["sh-a", "sh-d"]
        assert [r["name"] for r in rows({"shape": "not", "a": 7002})] == ["sh-a", "sh-b"]
        assert [r["name"] for r in rows({"shape": "null", "names": "sh-d"})] == ["sh-d"]
        assert rows({"shape": "none"}) == [] and rows({"shape": "empty-in"}) == []
        assert [r["name"] for r in rows({"shape": "join", "a": 5})] == ["sh-b"]
        assert [
            r["price"] for r in rows({"shape": "range", "a": 7000, "b": 7004, "order": "-price,id", "stop": 2})
        ] == [
            7003,
            7002,
        ]


def test_a_kept_shape_runs_with_each_requests_own_parameters(db: DbServer) -> None:
    c = db.client
    made = [_create(c, f"re-{i}", 8000 + i) for i in range(6)]
    params = {"shape": "range", "order": "price,name"}  # a shape no other test uses
    kept = c.get("/shop/shaped/plans").json()["kept"]
    for i in (0, 3, 1, 5, 3, 0):
        got = c.get("/shop/shaped", params={**params, "a": 8000 + i, "b": 8001 + i}).json()
        assert got == [{"id": made[i]["id"], "name": f"re-{i}", "price": 8000 + i}]
        # The first request kept the shape's SQL; every other value reused it.
        assert c.get("/shop/shaped/plans").json()["kept"] == kept + 1
    # Shapes with joins or annotations are left to Django and kept nowhere.
    refused = c.get("/shop/shaped/plans").json()
    for shape in ("join", "annotated"):
        assert c.get("/shop/shaped", params={"shape": shape, "a": 1, "order": "id"}).status_code == 200
    assert c.get("/shop/shaped/plans").json() == refused


# ---- concurrency and connections ------------------------------------------------------------------


def _concurrently(url: str, requests: list[tuple[str, str, Any]], timeout: float = 60) -> list[httpx.Response]:
    async def main() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=len(requests))
        async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as c:
            return await asyncio.gather(*(c.request(m, p, json=body) for m, p, body in requests))

    return asyncio.run(main())


class _Sampler:
    """Samples a counter in a thread while load runs; ``peak`` is the highest value seen."""

    def __init__(self, counter: Callable[[], int]) -> None:
        self.counter = counter
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.counter())
            self._stop.wait(0.01)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.counter())


def test_100_concurrent_orm_requests_are_correct_and_stay_within_the_pool(db: DbServer) -> None:
    c = db.client
    before = c.get("/shop/products/count").json()["count"]
    with _Sampler(db.connections) as sampler:
        created = _concurrently(
            db.server.url,
            [("POST", "/shop/products", {"name": f"load-{n}", "price": n, "stock": 1}) for n in range(100)],
        )
        assert [r.status_code for r in created] == [201] * 100, [r.text for r in created if r.status_code != 201]
        by_name = {r.json()["name"]: r.json() for r in created}
        read = _concurrently(
            db.server.url, [("GET", f"/shop/products/{by_name[f'load-{n}']['id']}", None) for n in range(100)]
        )
        for n, r in enumerate(read):
            assert r.status_code == 200
            assert r.json() == {"id": by_name[f"load-{n}"]["id"], "name": f"load-{n}", "price": n}
    assert c.get("/shop/products/count").json()["count"] == before + 100
    # PostgreSQL: connections of the server's pool; SQLite: handles on the database file, one
    # per ORM thread (ORM_THREADS defaults to 4 without a pool).
    assert 0 < sampler.peak <= POOL_SIZE
    assert db.connections() <= POOL_SIZE


def test_concurrent_queryset_returns_each_get_their_own_rows(db: DbServer) -> None:
    # Returned QuerySets are evaluated in batches on the ORM threads: under load, every answer
    # still goes to the request whose query it ran.
    made = [_create(db.client, f"batch-{i}", 5000 + i) for i in range(40)]
    ids = {p["id"] for p in made}
    replies = _concurrently(db.server.url, [("GET", f"/shop/products?min_price={5000 + i}", None) for i in range(40)])
    for i, r in enumerate(replies):
        assert r.status_code == 200, r.text
        assert [p for p in r.json() if p["id"] in ids] == [
            {"id": p["id"], "name": p["name"], "price": p["price"]} for p in made[i:]
        ]


def test_orm_calls_run_on_a_pool_of_threads_not_one(db: DbServer) -> None:
    # asgiref alone would run these one after another on a single thread (the barrier would
    # break); the ORM pool runs them together.
    r = _concurrently(db.server.url, [("GET", "/shop/orm-thread", None)] * 4)
    assert [x.status_code for x in r] == [200] * 4, [x.text for x in r]
    names = {x.json()["thread"] for x in r}
    assert len(names) == 4 and all(n.startswith("bolt-orm") for n in names), names


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_client_disconnects_and_cancelled_handlers_leak_no_connection(db: DbServer) -> None:
    async def hang_up(n: int) -> None:
        async with httpx.AsyncClient(base_url=db.server.url, timeout=0.1) as c:
            results = await asyncio.gather(
                *(c.get("/shop/slow", params={"seconds": 0.4}) for _ in range(n)), return_exceptions=True
            )
        assert all(isinstance(r, httpx.TimeoutException) for r in results), results

    with _Sampler(db.connections) as sampler:
        asyncio.run(hang_up(8))
        # Past HANDLER_TIMEOUT (3 s): Go answers 504 and the task is cancelled while its
        # thread still holds a connection in the middle of a "query".
        timed_out = _concurrently(db.server.url, [("GET", "/shop/slow?seconds=3.5", None)] * 2)
        assert [r.status_code for r in timed_out] == [504, 504]
        # The abandoned queries finish in their threads and give their connections back.
        _wait_until(lambda: db.busy() == 0, "the abandoned queries to finish")
        assert db.client.get("/shop/slow", params={"seconds": 0}).json() == {"ok": 1}
    assert sampler.peak <= POOL_SIZE
    assert db.connections() <= POOL_SIZE
    r = _concurrently(db.server.url, [("GET", "/shop/products/count", None)] * 20)
    assert {x.status_code for x in r} == {200}


# ---- mistakes ---------------------------------------------------------------------------------


def test_sync_orm_call_in_async_handler_is_a_500_that_names_the_async_method(db: DbServer) -> None:
    r = db.client.get("/shop/sync-misuse")
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}
    _wait_until(lambda: "SynchronousOnlyOperation" in db.server.log(), "the log line")
    line = next(x for x in db.server.log().splitlines() if "SynchronousOnlyOperation" in x and "GET /shop" in x)
    assert "`count()`" in line and "acount" in line and "sync_to_async" in line
    assert db.client.get("/shop/products/count").status_code == 200


# ---- runbolt start-up --------------------------------------------------------------------------


def test_runbolt_runs_system_checks_and_warns_about_migrations_and_sqlite(start_bolt: Any, tmp_path: Path) -> None:
    env = {"TEST_DB": str(tmp_path / "fresh.sqlite3")}  # never migrated
    p = start_bolt(TEST_PROJECT, env=env)
    r = httpx.get(p.url + "/shop/products/count", timeout=10)
    assert r.status_code == 500  # no table: the handler fails, the server does not
    log = p.log()
    assert "System check identified no issues" in log
    assert "unapplied migration(s)" in log and "python manage.py migrate" in log
    assert "SQLite is for development" in log

    quiet = start_bolt(TEST_PROJECT, "--skip-checks", env=env)
    assert httpx.get(quiet.url + "/hello", timeout=10).status_code == 200
    assert "unapplied migration(s)" not in quiet.log()
    assert "System check identified" not in quiet.log()


# ---- the example project (the benchmark's `ours` /users route) ---------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_example_project_serves_users_from_its_database(kind: str, start_bolt: Any, tmp_path: Path) -> None:
    cleanup: Callable[[], None] = lambda: None  # noqa: E731
    if kind == "sqlite":
        env = {"EXAMPLE_DB": str(tmp_path / "example.sqlite3"), "DATABASE_URL": ""}
    else:
        url, cleanup = _fresh_postgres_database()
        env = {"DATABASE_URL": url}
    try:
        for command in (("migrate", "--noinput"), ("seed_members", "--count", "30")):
            done = subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=EXAMPLE_PROJECT,
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stdout + done.stderr
        server = start_bolt(EXAMPLE_PROJECT, "--workers", "1", env=env)
        rows = httpx.get(server.url + "/users", timeout=10).json()
        assert rows == [
            {
                "id": i,
                "name": f"Member {i:03d}",
                "email": f"member{i:03d}@example.com",
                "active": i % 3 != 0,
                "score": i + 0.25,
            }
            for i in range(1, 11)
        ]
        server.stop()
    finally:
        cleanup()


def test_one_orm_thread_per_request(db: DbServer) -> None:
    """Issue 15: every ORM call of a request runs on the request's thread and connection, so
    state one call leaves there (a PostgreSQL session setting, a thread-local) is seen by
    the next, under 200 concurrent requests on a pool of 4 (before: any thread per call)."""
    tags = [f"req-{i}" for i in range(200)]
    replies = _concurrently(db.server.url, [("GET", f"/shop/conn-state/{t}", None) for t in tags])
    bodies = [r.json() for r in replies]
    assert [r.status_code for r in replies] == [200] * 200, [r.text for r in replies if r.status_code != 200][:3]
    wrong = [b for b in bodies if b["seen"] != b["tag"] or b["thread"] != b["thread2"]]
    assert not wrong, wrong[:5]
    assert len({b["thread"] for b in bodies}) > 1  # still a pool: requests run in parallel
    assert db.client.get("/shop/products/count").status_code == 200
