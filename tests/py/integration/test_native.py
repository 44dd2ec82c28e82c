"""Loading libbolt.so: ABI check, missing library, config errors, refusing fork after load.

Each case runs in a fresh interpreter, so the test process itself never loads the Go runtime.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def _python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_abi_version_matches() -> None:
    r = _python("from django_bolt._native import library as _native; print(_native.load().bolt_abi_version())")
    assert r.returncode == 0, r.stderr
    from django_bolt._native.library import ABI_VERSION

    assert r.stdout.strip() == str(ABI_VERSION)


def test_abi_mismatch_is_refused() -> None:
    from django_bolt._native.library import ABI_VERSION

    r = _python("from django_bolt._native import library as _native; _native.load(expected_abi=999)")
    assert r.returncode != 0
    assert f"speaks ABI version {ABI_VERSION} but this django_bolt needs 999" in r.stderr


def test_missing_library_says_how_to_build_it() -> None:
    r = _python(
        "from django_bolt._native import library as _native; _native.load()",
        env={"DJANGO_BOLT_LIB": "/nonexistent/libbolt.so"},
    )
    assert r.returncode != 0
    assert "libbolt.so not found at /nonexistent/libbolt.so" in r.stderr
    assert "make build" in r.stderr


def test_bad_server_config_is_reported_from_go() -> None:
    r = _python(
        """
        from django_bolt._native import library as _native
        lib = _native.load()
        cfg = b'{"port": 1, "routes": [{"id": 0, "method": "GET", "path": "/a/{x:hex}"}]}'
        assert lib.bolt_new(_native.ffi.from_buffer(cfg), len(cfg)) == 0
        print(_native.last_error(lib))
        """
    )
    assert r.returncode == 0, r.stderr
    assert 'unknown converter "hex"' in r.stdout


def test_fork_after_load_is_refused_in_the_child() -> None:
    r = _python(
        """
        import os
        from django_bolt._native import library as _native
        _native.load()
        pid = os.fork()
        if pid == 0:
            os._exit(0)  # never reached: the fork hook exits first
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
        """
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "70"
    assert "fork() after libbolt.so was loaded is not supported" in r.stderr
