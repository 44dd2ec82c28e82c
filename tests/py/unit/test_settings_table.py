"""The README's settings table is generated from django_bolt/conf.py and lists every key
users may set, and internal keys are offered nowhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from django_bolt.conf import INTERNAL_KEYS, VALID_KEYS, load_settings
from django_bolt.exceptions import BoltConfigError

REPO = Path(__file__).resolve().parents[3]


def test_readme_settings_table_matches_conf() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "settings_table.py")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr  # fix: make settings-table


def test_every_public_key_has_a_row_and_internal_keys_none() -> None:
    readme = (REPO / "README.md").read_text()
    table = readme.split("<!-- settings-table:begin")[1].split("<!-- settings-table:end -->")[0]
    for key in VALID_KEYS:
        assert f"| `{key}` |" in table, key
    for key in INTERNAL_KEYS:
        assert key not in readme, key


def test_unknown_key_error_lists_public_keys_only() -> None:
    with pytest.raises(BoltConfigError) as err:
        load_settings({"HANDLER_TIMOUT": 3}, environ={})
    assert "HANDLER_TIMEOUT" in str(err.value)
    assert not any(key in str(err.value) for key in INTERNAL_KEYS)
    assert load_settings({"TEST_CLOCK": 5.0}, environ={}).TEST_CLOCK == 5.0  # still accepted
