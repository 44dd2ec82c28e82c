"""Thread CPU per evaluation of the QuerySets the server reads (django_bolt/_runtime/orm_sql.py),
in-process, on the example project over a throwaway SQLite file of 100 members (or
``--database-url``).

Each case builds its QuerySet as the handler or the ViewSet does and evaluates it as the
server's ORM thread does (``orm._evaluate`` for a returned QuerySet, ``pages._page`` for a
page: count + rows, shaped), without Go, sockets or encoding. Prints the min over rounds of
``time.thread_time`` per evaluation, in µs (time spent descheduled on a shared machine does
not count).

    .venv/bin/python bench/orm_plans_micro.py [--tree DIR] [--rounds 7] [--n 2000]
        [--database-url URL]

``--tree`` runs another checkout's ``django_bolt`` (an A/B against a base worktree; run it
with that checkout's ``.venv/bin/python``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--tree", default=str(Path(__file__).resolve().parents[1]))
parser.add_argument("--rounds", type=int, default=7)
parser.add_argument("--n", type=int, default=2000)
parser.add_argument(
    "--database-url", default="", help="another database (its members are replaced)"
)
args = parser.parse_args()

tree = Path(args.tree).resolve()
sys.path[:0] = [str(tree), str(tree / "examples")]
tmp = tempfile.mkdtemp(prefix="orm-plans-micro.")
os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exampleproject.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django_bolt._runtime import orm, pages  # noqa: E402

try:
    from django_bolt._runtime.orm_sql import defer_lookup, mark  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # a tree from before orm_sql held them
    from django_bolt._runtime.prepared import defer_lookup, mark  # type: ignore[import-not-found,no-redef,unused-ignore]

from demo import api as demo_api  # noqa: E402
from demo.models import Member  # noqa: E402

call_command("migrate", "--noinput", verbosity=0)
call_command("seed_members", "--count", "100")

routes = {(r.method, r.path): r for r in demo_api.api.routes}
origin = demo_api.MemberViewSet.queryset
everyone = Member.objects.order_by("id")  # a class queryset: the same object every request
out = demo_api.MemberOut


def returned(path: str, build: Callable[[], Any]) -> Callable[[], Any]:
    route = routes[("GET", path)]
    return lambda: orm._evaluate(build(), route)


def paged(build: Callable[[], Any]) -> Callable[[], Any]:
    return lambda: pages._page(build(), 20, 30, out, True)


CASES: dict[str, Callable[[], Any]] = {
    "/users (returned, sliced)": returned("/users", lambda: Member.objects.order_by("id")[:10]),
    "/fn/members (returned, filtered)": returned(
        "/fn/members", lambda: Member.objects.filter(id__lte=10).order_by("id")
    ),
    "ViewSet list": returned("/vs/members", lambda: mark(origin.all(), origin)),
    "ViewSet retrieve": returned(
        "/vs/members/{pk}", lambda: defer_lookup(mark(origin.all(), origin), {"pk": 5})
    ),
    "ViewSet list ?active=": returned(
        "/vs/members", lambda: mark(origin.all(), origin).filter(active=True)
    ),
    "ViewSet list, per-user filter": returned(
        "/vs/members", lambda: mark(origin.all(), origin).filter(email__startswith="member1")
    ),
    "page 3 of 10, all members": paged(lambda: mark(everyone.all(), everyone)),
    "page 3 of 10, ?active=": paged(lambda: Member.objects.order_by("id").filter(active=True)),
}

for name, case in CASES.items():
    case()  # compiles what is kept
    best = float("inf")
    for _ in range(args.rounds):
        start = time.thread_time()
        for _ in range(args.n):
            case()
        best = min(best, (time.thread_time() - start) / args.n * 1e6)
    print(f"{name:34s} {best:7.1f} µs")
