"""Loads libbolt.so lazily, in the process that serves, and checks its ABI version.

Never load the library and then fork: the Go runtime's threads do not survive fork(2), so a
forked child would hang. Loading registers a fork hook that stops such a child at once.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path
from typing import Any

from cffi import FFI

from ..exceptions import BoltConfigError
from .wire import ABI_VERSION

_CDEF = """
int32_t bolt_abi_version(void);
int64_t bolt_last_error(uint8_t* buf, int64_t capacity);
int64_t bolt_new(uint8_t* cfg, int64_t n);
int64_t bolt_start(int64_t h);
int64_t bolt_wake_fd(int64_t h);
int64_t bolt_start_inmemory(int64_t h);
int64_t bolt_roundtrip(int64_t h, uint8_t* req, int64_t n, uint8_t** out);
void bolt_buffer_free(uint8_t* p);
int64_t bolt_poll(int64_t h, uint8_t* buf, int64_t capacity);
int64_t bolt_read_body(int64_t h, uint64_t id, uint8_t* buf, int64_t capacity);
int64_t bolt_respond(int64_t h, uint8_t* buf, int64_t n);
int64_t bolt_stop(int64_t h, int64_t grace_ms);
int64_t bolt_free(int64_t h);
int64_t bolt_revoke(uint8_t* msg, int64_t n);
"""

ffi = FFI()
ffi.cdef(_CDEF)

# PyBytes_FromStringAndSize(NULL, n): n bytes left uninitialised (bytes(n) zeroes them
# first, ~30 us a MiB), for Go to fill before the object is shared with anyone.
_new_bytes = ctypes.pythonapi.PyBytes_FromStringAndSize
_new_bytes.restype = ctypes.py_object
_new_bytes.argtypes = (ctypes.c_char_p, ctypes.c_ssize_t)


def new_bytes(size: int) -> bytes:
    """A fresh, unshared bytes object of ``size`` bytes whose contents the caller writes
    (through ``ffi.from_buffer``) before handing it out."""
    b: bytes = _new_bytes(None, size)
    return b


_loaded: Any = None


def library_path() -> Path:
    """Where libbolt.so is: ``DJANGO_BOLT_LIB`` if set, else at the top of the django_bolt package."""
    override = os.environ.get("DJANGO_BOLT_LIB")
    return Path(override) if override else Path(__file__).parent.parent / "libbolt.so"


def _refuse_fork_child() -> None:
    sys.stderr.write(
        "django_bolt: fork() after libbolt.so was loaded is not supported (the Go runtime "
        "does not survive it). Start workers with spawn/exec instead.\n"
    )
    os._exit(70)


def loaded() -> Any:
    """The library if this process already loaded it, else None (never loads it)."""
    return _loaded


def load(expected_abi: int = ABI_VERSION) -> Any:
    """Load the library once per process and return the cffi ``lib`` object."""
    global _loaded
    if _loaded is not None:
        return _loaded
    path = library_path()
    if not path.exists():
        raise BoltConfigError(
            f"libbolt.so not found at {path}. Build it with `make build` (or install the "
            "django-bolt-go wheel), or point DJANGO_BOLT_LIB at it."
        )
    lib: Any = ffi.dlopen(str(path))  # functions from _CDEF, unknown to the type checker
    found = lib.bolt_abi_version()
    if found != expected_abi:
        raise BoltConfigError(
            f"{path} speaks ABI version {found} but this django_bolt needs {expected_abi}: "
            "rebuild the library (`make build`) or reinstall the package."
        )
    os.register_at_fork(after_in_child=_refuse_fork_child)
    _loaded = lib
    return lib


def last_error(lib: Any) -> str:
    buf = bytearray(4096)
    n = lib.bolt_last_error(ffi.from_buffer(buf), len(buf))
    return buf[:n].decode("utf-8", "replace")
