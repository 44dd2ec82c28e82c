"""The kept SQL plans (django_bolt/_runtime/orm_sql.py) inside the test project's Django on
SQLite (``manage.py shell``; no server needed): that a plan is used (Django's compiler runs
once per shape, not per request), that it reads what Django reads whatever the parameters,
and that everything it must not handle goes to Django's path. Through a real server, on
SQLite and PostgreSQL: tests/py/e2e/test_views_db.py (test_compiled_*, test_filtered_*) and
tests/py/e2e/test_database.py (returned QuerySets of many shapes)."""

from __future__ import annotations

from pathlib import Path

from ..conftest import run_manage

SCRIPT = r"""
import datetime, decimal, uuid
from django.db import connection
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django_bolt._runtime.orm_sql import count_rows, defer_lookup, mark, values_rows
from viewsapp.models import Gadget

made = datetime.datetime(2026, 3, 1, 8, 30, tzinfo=datetime.timezone.utc)
for i in range(6):
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

def listing(window=None):
    return values_rows(mark(origin.all(), origin), F, window)

def one(**lookup):
    return values_rows(defer_lookup(mark(origin.all(), origin), lookup), F)

reference = list(origin.values(*F))
compiles = 0
assert listing() == reference
assert compiles == 1, compiles           # compiled once...
for _ in range(5):
    assert listing() == reference
assert compiles == 1, compiles           # ...and reused
assert [r["active"] for r in reference] == [True, False] * 3  # SQLite ints converted

# retrieve: the class queryset's template with the lookup's slot
first = reference[1]
compiles = 0
assert one(pk=first["id"]) == [first]
assert compiles == 2, compiles           # two sentinel values, to find the lookup's parameter
assert one(pk=first["id"]) == [first] and one(pk=999999) == [] and compiles == 2
assert one(pk=reference[3]["id"]) == [reference[3]] and compiles == 2  # another value: its own row
assert one(uid=first["uid"]) == [first] and one(uid=str(first["uid"])) == [first]
assert one(uid="not-a-uuid") == []       # cannot be a key: no row (the route answers 404)
assert one(name="g2") == [reference[2]]

# the class queryset narrowed per request (a filter backend, a per-user get_queryset): the
# WHERE is compiled per request with its own parameters, the rest of the plan kept
def narrowed(**lookups):
    return values_rows(mark(origin.all(), origin).filter(**lookups), F)
compiles = 0
assert narrowed(active=True) == [r for r in reference if r["active"]]
assert compiles == 1, compiles
assert narrowed(active=False) == [r for r in reference if not r["active"]]
assert compiles == 2, compiles           # SQLite: `"active"` / `NOT "active"`, two shapes
assert narrowed(active=True) == [r for r in reference if r["active"]]
assert narrowed(name="g3") == [reference[3]] and narrowed(name="g4") == [reference[4]]
assert compiles == 3, compiles           # one more shape (name=), whatever its value
assert narrowed(name="nope") == [] and compiles == 3
assert narrowed(name__startswith="g1") == [reference[1]] and compiles == 4
assert narrowed(name__startswith="g5") == [reference[5]] and compiles == 4
# select_related / only(): .values() drops them, so they are the same shape as without
compiles = 0
for name in ("g2", "g3"):
    loaded = Gadget.objects.select_related().only("name").filter(name=name).order_by("id")
    assert values_rows(loaded, F) == list(loaded.values(*F)) == [r for r in reference if r["name"] == name]
    assert values_rows(loaded, None) == list(loaded.values())
assert compiles == 2 + 2 + 2, compiles   # the two shapes once; Django's own references each time
# a filtered retrieve (a chained get_queryset): the deferred lookup compiled with the rest
scoped = lambda pk: values_rows(defer_lookup(mark(origin.all(), origin).filter(active=False), {"pk": pk}), F)
assert scoped(first["id"]) == [first] and scoped(reference[0]["id"]) == []
assert scoped(reference[3]["id"]) == [reference[3]]

# what must take Django's path (compiled by Django on every call), with Django's rows
chained = mark(origin.all(), origin).filter(active=True)
assert "_bolt_origin" not in chained.__dict__            # chaining drops the mark
edited = mark(origin.all(), origin)
edited.query.clear_ordering(force=True)
edited.query.add_ordering("-id")                          # edited in place: noticed
assert values_rows(edited, F) == reference[::-1]

class Custom(QuerySet):
    def iterator(self, chunk_size=None):
        return super().iterator(chunk_size=chunk_size)
custom_origin = Custom(model=Gadget).order_by("id")
compiles = 0
for _ in range(3):
    assert values_rows(mark(custom_origin.all(), custom_origin), F) == reference
    assert count_rows(mark(custom_origin.all(), custom_origin)) == 6
assert compiles == 6, compiles           # a custom QuerySet class: Django every time
compiles = 0
for _ in range(3):
    extra = Gadget.objects.filter(name__startswith="g").extra(select={"one": "1"}).order_by("id")
    assert values_rows(extra, F) == reference
assert compiles == 3, compiles           # extra(select=): not a shape this module reproduces
for low in (0, 3, 0):  # extra(where=) is part of the WHERE clause: kept, with its parameters
    extra = Gadget.objects.filter(name__startswith="g").extra(where=["price >= %s"], params=[low]).order_by("id")
    assert values_rows(extra, F) == [r for r in reference if r["price"] >= low]
assert compiles == 4, compiles
for _ in range(3):  # a subquery inside the WHERE: its parameters are the WHERE's
    sub = Gadget.objects.filter(name__startswith="g").exclude(uid__in=Gadget.objects.filter(name="g9").values("uid"))
    assert values_rows(sub.order_by("id"), F) == reference
    assert values_rows(sub.filter(active=False).order_by("id"), F) == reference[1::2]
assert "_bolt_origin" not in mark(Gadget.objects.all(), Gadget.objects).__dict__  # a Manager: untagged

empty = Gadget.objects.none()
assert values_rows(mark(empty.all(), empty), F) == []
assert values_rows(defer_lookup(mark(empty.all(), empty), {"pk": 1}), F) == []
assert count_rows(mark(empty.all(), empty)) == 0
assert values_rows(Gadget.objects.filter(pk__in=[]), F) == [] and count_rows(Gadget.objects.filter(pk__in=[])) == 0

# pages: the count and a window of rows, compiled once per shape
compiles = 0
assert listing((0, 2)) == reference[0:2] and listing((1, 3)) == reference[1:3] and listing((5, 10)) == reference[5:]
assert listing((10, 20)) == [] and listing((2, 2)) == []
assert compiles == 3, compiles           # the base, and two slices to prove LIMIT/OFFSET
assert listing((2, 4)) == reference[2:4] and compiles == 3
def narrowed_page(window, **lookups):
    return values_rows(mark(origin.all(), origin).filter(**lookups), F, window)
actives = [r for r in reference if r["active"]]
assert narrowed_page((0, 2), active=True) == actives[:2] and compiles == 6
assert narrowed_page((1, 3), active=True) == actives[1:3] and compiles == 6
assert narrowed_page((1, 3), active=False) == [r for r in reference if not r["active"]][1:3] and compiles == 9
assert count_rows(mark(origin.all(), origin)) == 6
assert count_rows(mark(origin.all(), origin)) == 6
assert count_rows(mark(origin.all(), origin).filter(active=True)) == 3
assert count_rows(mark(origin.all(), origin).filter(active=True, name="g2")) == 1
assert count_rows(mark(origin.all(), origin).filter(active=True, name="g1")) == 0
assert count_rows(Gadget.objects.filter(name="g3").order_by("id")[:5]) == 1  # a slice: Django's subquery count
Gadget.objects.filter(name="g5").delete()
assert count_rows(mark(origin.all(), origin)) == 5 and listing((0, 10)) == reference[:5]  # read every time
assert count_rows(mark(origin.all(), origin).filter(active=False)) == 2
assert narrowed_page((0, 10), active=False) == [r for r in reference[:5] if not r["active"]]
assert count_rows(defer_lookup(mark(origin.all(), origin), {"pk": first["id"]})) == 1
sliced = Gadget.objects.order_by("id")[:2]
assert values_rows(sliced, F, (1, 5)) == reference[1:2]  # a slice of a slice: Django composes them

# a deferred lookup is still a correct QuerySet for any other use
found = defer_lookup(mark(origin.all(), origin), {"pk": first["id"]})
assert list(found.values_list("name", flat=True)) == [first["name"]]
print("OK")
"""


def test_kept_plans_are_reused_and_match_django(tmp_path: Path) -> None:
    env = {"TEST_DB": str(tmp_path / "plans.sqlite3")}
    done = run_manage("migrate", "--noinput", "-v0", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    done = run_manage("shell", "-c", SCRIPT, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("OK"), done.stdout + done.stderr
