"""The compiled SELECT of ViewSet list/retrieve (django_bolt/_runtime/prepared.py) inside the
test project's Django on SQLite (``manage.py shell``; no server needed): that it is used
(Django's compiler runs once, not per request), that it reads what Django reads, and that
everything it must not handle goes to Django's path. Through a real server:
tests/py/e2e/test_views_db.py (test_compiled_*)."""

from __future__ import annotations

from pathlib import Path

from ..conftest import run_manage

SCRIPT = r"""
import datetime, decimal, uuid
from django.db import connection
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django_bolt._runtime.prepared import count, defer_lookup, mark, select
from viewsapp.models import Gadget

made = datetime.datetime(2026, 3, 1, 8, 30, tzinfo=datetime.timezone.utc)
for i in range(4):
    Gadget.objects.create(uid=uuid.UUID(int=100 + i), name=f"g{i}", active=i % 2 == 0,
                          price=decimal.Decimal("1.50") * i, made=made)
origin = Gadget.objects.filter(name__startswith="g").order_by("id")
F = ("id", "uid", "name", "active", "price", "made")

compiles = 0
real_as_sql = SQLCompiler.as_sql
def counting(self, *args, **kwargs):
    global compiles
    compiles += 1
    return real_as_sql(self, *args, **kwargs)
SQLCompiler.as_sql = counting

def listing():
    return select(mark(origin.all(), origin), origin, F)

def one(**lookup):
    return select(defer_lookup(mark(origin.all(), origin), lookup), origin, F)

reference = list(origin.values(*F))
compiles = 0
assert listing() == reference
assert compiles == 1, compiles           # compiled once...
for _ in range(5):
    assert listing() == reference
assert compiles == 1, compiles           # ...and reused
assert [r["active"] for r in reference] == [True, False, True, False]  # SQLite ints converted

first = reference[1]
compiles = 0
assert one(pk=first["id"]) == [first]
assert compiles == 2, compiles           # two sentinel values, to find the lookup's parameter
assert one(pk=first["id"]) == [first] and one(pk=999999) == [] and compiles == 2
assert one(uid=first["uid"]) == [first] and one(uid=str(first["uid"])) == [first]
assert one(uid="not-a-uuid") == []       # cannot be a key: no row (the route answers 404)
assert one(name="g2") == [reference[2]]

# what must take Django's path (None)
chained = mark(origin.all(), origin).filter(active=True)
assert "_bolt_origin" not in chained.__dict__            # chaining drops the mark
edited = mark(origin.all(), origin)
edited.query.add_ordering("-id")                          # edited in place: noticed
assert select(edited, origin, F) is None
assert select(defer_lookup(mark(origin.all(), origin), {"price__gte": 1}), origin, F) is None
assert select(defer_lookup(mark(origin.all(), origin), {"made": made}), origin, F) is None
assert select(mark(origin.all(), origin).exclude(pk=1), origin, F) is None

class Custom(QuerySet):
    def iterator(self, chunk_size=None):
        return super().iterator(chunk_size=chunk_size)
custom_origin = Custom(model=Gadget).order_by("id")
assert select(mark(custom_origin.all(), custom_origin), custom_origin, F) is None

assert "_bolt_origin" not in mark(Gadget.objects.all(), Gadget.objects).__dict__  # a Manager: untagged

empty = Gadget.objects.none()
assert select(mark(empty.all(), empty), empty, F) == []
assert select(defer_lookup(mark(empty.all(), empty), {"pk": 1}), empty, F) == []

# pages: the count and a window of rows, compiled once
compiles = 0
def page(start, stop):
    return select(mark(origin.all(), origin), origin, F, window=(start, stop))
assert page(0, 2) == reference[0:2] and page(1, 3) == reference[1:3] and page(3, 10) == reference[3:]
assert page(10, 20) == [] and page(2, 2) == []
with_window = compiles
assert with_window == 3, compiles        # the base, and two slices to prove LIMIT/OFFSET
assert page(2, 4) == reference[2:4] and compiles == with_window
assert count(mark(origin.all(), origin), origin) == 4
assert count(mark(origin.all(), origin), origin) == 4
Gadget.objects.filter(name="g3").delete()
assert count(mark(origin.all(), origin), origin) == 3 and page(0, 10) == reference[:3]  # read every time
assert count(mark(empty.all(), empty), empty) == 0
assert count(defer_lookup(mark(origin.all(), origin), {"pk": 1}), origin) is None
assert select(defer_lookup(mark(origin.all(), origin), {"pk": 1}), origin, F, window=(0, 2)) is None
sliced_origin = Gadget.objects.order_by("id")[:2]
assert select(mark(sliced_origin._chain(), sliced_origin), sliced_origin, F, window=(0, 1)) is None

# a deferred lookup is still a correct QuerySet for any other use
found = defer_lookup(mark(origin.all(), origin), {"pk": first["id"]})
assert list(found.values_list("name", flat=True)) == [first["name"]]
print("OK")
"""


def test_compiled_select_is_reused_and_matches_django(tmp_path: Path) -> None:
    env = {"TEST_DB": str(tmp_path / "prepared.sqlite3")}
    done = run_manage("migrate", "--noinput", "-v0", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    done = run_manage("shell", "-c", SCRIPT, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("OK"), done.stdout + done.stderr
