"""The DJANGO_BOLT settings dict: validated at start-up, env overrides host and port."""

from __future__ import annotations

import pytest

from django_bolt import BoltConfigError
from django_bolt.conf import VALID_KEYS, load_settings


def test_defaults() -> None:
    s = load_settings({}, environ={})
    assert (s.HOST, s.PORT, s.BACKLOG, s.HANDLER_TIMEOUT) == ("127.0.0.1", 8000, 1024, 30.0)


def test_unknown_key_lists_valid_ones() -> None:
    with pytest.raises(BoltConfigError) as err:
        load_settings({"PROT": 1}, environ={})
    assert "unknown DJANGO_BOLT key(s) PROT" in str(err.value)
    for key in VALID_KEYS:
        assert key in str(err.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [("PORT", "80"), ("PORT", 70000), ("BACKLOG", -1), ("HANDLER_TIMEOUT", 0), ("HOST", 1), ("PORT", True)],
)
def test_bad_values(key: str, value: object) -> None:
    with pytest.raises(BoltConfigError, match=key):
        load_settings({key: value}, environ={})


def test_environment_overrides_host_and_port() -> None:
    s = load_settings({"PORT": 9000}, environ={"DJANGO_BOLT_PORT": "9100", "DJANGO_BOLT_HOST": "0.0.0.0"})
    assert (s.HOST, s.PORT) == ("0.0.0.0", 9100)
    with pytest.raises(BoltConfigError, match="DJANGO_BOLT_PORT must be an integer"):
        load_settings({}, environ={"DJANGO_BOLT_PORT": "http"})


def test_not_a_dict() -> None:
    with pytest.raises(BoltConfigError, match="must be a dict"):
        load_settings(["PORT"], environ={})  # type: ignore[arg-type]


def test_graceful_timeout_from_the_environment() -> None:
    assert load_settings({}, environ={"DJANGO_BOLT_GRACEFUL_TIMEOUT": "2.5"}).GRACEFUL_TIMEOUT == 2.5
    with pytest.raises(BoltConfigError, match="GRACEFUL_TIMEOUT"):
        load_settings({}, environ={"DJANGO_BOLT_GRACEFUL_TIMEOUT": "-1"})


def test_upload_settings() -> None:
    s = load_settings({}, environ={})
    assert (s.FILE_UPLOAD_MAX_MEMORY_SIZE, s.FILE_UPLOAD_TEMP_DIR) == (1 << 20, None)
    assert (s.MULTIPART_MAX_FILES, s.MULTIPART_MAX_FIELDS) == (100, 1000)
    with pytest.raises(BoltConfigError, match="FILE_UPLOAD_TEMP_DIR'] must be an existing directory"):
        load_settings({"FILE_UPLOAD_TEMP_DIR": "/nonexistent/bolt"}, environ={})
    with pytest.raises(BoltConfigError, match="MULTIPART_MAX_FILES"):
        load_settings({"MULTIPART_MAX_FILES": 0}, environ={})


def test_front_end_is_auto_loop_or_fasthttp() -> None:
    assert load_settings({}, environ={}).FRONT_END == "auto"
    assert load_settings({"FRONT_END": "fasthttp"}, environ={}).FRONT_END == "fasthttp"
    assert load_settings({"FRONT_END": "loop"}, environ={}).FRONT_END == "loop"
    with pytest.raises(BoltConfigError, match="FRONT_END"):
        load_settings({"FRONT_END": "epoll"}, environ={})
