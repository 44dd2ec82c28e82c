"""django_bolt.db.databases(): what settings.py gets for each DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from django_bolt._runtime.orm import _model_field_names
from django_bolt.db import databases, default_orm_threads, sqlite_aliases


def test_postgres_url_gets_a_psycopg_pool_sized_from_the_argument() -> None:
    db = databases(url="postgres://app:s3cret@db.internal:6543/shop", pool_size=12)["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "shop",
        "app",
        "s3cret",
        "db.internal",
        6543,
    )
    assert db["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 12, "timeout": 10.0}
    assert db["CONN_HEALTH_CHECKS"] is False  # runbolt installs dropped_by_server instead
    # Django refuses persistent connections together with its pool.
    assert db["CONN_MAX_AGE"] == 0
    assert default_orm_threads({"default": db}) == 12


def test_pool_size_from_the_environment_and_pool_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://localhost/x")
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    db = databases(pool_check=True)["default"]
    assert db["OPTIONS"]["pool"]["max_size"] == 3
    assert db["CONN_HEALTH_CHECKS"] is True  # Django then gives the pool psycopg's check_connection
    monkeypatch.setenv("DATABASE_POOL_SIZE", "many")
    with pytest.raises(ValueError, match="DATABASE_POOL_SIZE must be an integer"):
        databases()


def test_pool_size_zero_means_persistent_connections_with_health_checks() -> None:
    db = databases(url="postgres://localhost/x", pool_size=0)["default"]
    assert "pool" not in db["OPTIONS"]
    assert (db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"]) == (600, True)
    assert default_orm_threads({"default": db}) == 4


@pytest.mark.parametrize("bad", [-1, True, "4"])
def test_bad_pool_sizes_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="pool_size"):
        databases(url="postgres://localhost/x", pool_size=bad)  # type: ignore[arg-type]


def test_min_size_above_max_is_refused() -> None:
    with pytest.raises(ValueError, match="pool_min_size"):
        databases(url="postgres://localhost/x", pool_size=2, pool_min_size=3)


def test_without_url_sqlite_in_wal_mode_with_a_busy_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    dbs = databases(tmp_path)
    db = dbs["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "db.sqlite3")
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert "synchronous=NORMAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["timeout"] == 20.0
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert sqlite_aliases(dbs) == ["default"]
    assert default_orm_threads(dbs) == 4
    assert databases(url="", sqlite_name=":memory:")["default"]["NAME"] == ":memory:"


def test_sqlite_without_base_dir_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ValueError, match="BASE_DIR"):
        databases()


def test_sqlite_url_gets_the_same_options() -> None:
    db = databases(url="sqlite:////tmp/app.db")["default"]
    assert db["NAME"] == "/tmp/app.db"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_unknown_scheme_is_an_error() -> None:
    with pytest.raises(ValueError):
        databases(url="nosuchdb://localhost/x")


class Renamed(msgspec.Struct, rename="camel"):
    user_name: str


class Plain(msgspec.Struct):
    id: int
    name: str


def test_response_models_give_projection_names_only_when_names_match() -> None:
    assert _model_field_names(list[Plain]) == ("id", "name")
    assert _model_field_names(Plain) == ("id", "name")
    assert _model_field_names(Renamed) is None
    assert _model_field_names(None) is None


def test_orm_threads_setting_is_validated() -> None:
    from django_bolt.conf import load_settings
    from django_bolt.exceptions import BoltConfigError

    assert load_settings({"ORM_THREADS": 8}, environ={}).ORM_THREADS == 8
    for bad in (0, -2, "4", True):
        with pytest.raises(BoltConfigError, match="ORM_THREADS"):
            load_settings({"ORM_THREADS": bad}, environ={})
