"""Routes that cannot both be served stop runbolt at start-up, naming both handlers
(django_bolt/_routing/conflicts.py); the unit cases are in tests/py/unit/test_route_conflicts.py."""

from __future__ import annotations

from tests.py.conftest import run_manage


def test_a_shadowed_route_stops_runbolt_naming_both_handlers() -> None:
    r = run_manage("runbolt", "--port", "0", "--skip-checks", env={"TEST_CONFLICT_API": "1"})
    assert r.returncode != 0
    assert "GET /items/{item_id} and GET /items/{id} take different parameters" in r.stderr, r.stderr
    assert "testapp.api.get_item" in r.stderr and "testproject.conflict_api.item_by_id" in r.stderr, r.stderr
