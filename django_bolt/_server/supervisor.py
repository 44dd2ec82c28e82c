"""The parent process of a multi-worker ``runbolt``.

It never loads libbolt.so (the Go runtime does not survive fork, and the workers are its
children): it starts each worker with exec (``python -m django_bolt._server.worker``), restarts one
that dies with an exponential backoff, replaces one that served its ``--max-requests`` (the
replacement listens before the old one stops), forwards SIGTERM/SIGINT and waits for every
worker to drain. A worker that exits before it ever listened stops the whole server: that is
a start-up error (port in use, bad settings, a failing start-up hook) and restarting it would
only loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from .._native import library as native
from ..exceptions import BoltConfigError
from .logs import banner
from .worker import SPEC_ENV, WorkerSpec

logger = logging.getLogger("django_bolt.supervisor")

#: First restart delay after a crash; doubles per consecutive crash up to the maximum.
BACKOFF_MIN = 0.1
BACKOFF_MAX = 10.0
#: A worker that served this long before dying starts the backoff over.
STABLE_AFTER = 30.0
#: A worker that has not listened after this long is a start-up failure.
START_TIMEOUT = 120.0
#: On top of the graceful timeout before a worker that does not stop is killed.
STOP_MARGIN = 5.0
#: --workers-lifetime: each worker's lifetime is lengthened by up to this fraction at
#: random, so that workers started together are not all replaced together.
LIFETIME_JITTER = 0.1


@dataclass(frozen=True)
class SupervisorOptions:
    workers: int
    host: str
    port: int
    backlog: int
    graceful_timeout: float
    max_requests: int = 0
    max_requests_jitter: int = 0
    pin: bool = False
    #: Replace a worker whose resident memory grows above this many bytes (0: never).
    max_rss: int = 0
    #: ``--dev``: restart the workers when a Python file changes; tracebacks in 500 bodies.
    reload: bool = False
    #: Watch files by polling their mtimes even when Watchman is available.
    reload_poll: bool = False
    #: For the start-up banner: the number of routes, the docs path, the event loop.
    routes: int = 0
    docs: str | None = None
    loop: str = "asyncio"
    #: ``--workers-lifetime``: replace a worker this many seconds after it started serving
    #: (0: never); replacements are staggered, one at a time.
    workers_lifetime: float = 0.0
    #: ``--no-respawn-failed-workers`` sets False: a crashed worker is not replaced.
    respawn_failed: bool = True
    #: ``--workers-kill-timeout``: SIGKILL a worker this many seconds after its SIGTERM
    #: (None: the graceful timeout plus a margin).
    kill_timeout: float | None = None


@dataclass(eq=False)
class _Worker:
    slot: int
    proc: subprocess.Popen[bytes]
    sock: socket.socket
    started: float
    replaces: _Worker | None = None
    ready_at: float | None = None
    retiring: bool = False
    buf: bytes = b""
    #: When --workers-lifetime replaces it (monotonic; None: never).
    expires_at: float | None = None
    #: When it was sent SIGTERM (for --workers-kill-timeout).
    term_at: float | None = None


def check_address(host: str, port: int) -> int:
    """Fail early and clearly if the address is taken; resolve port 0 to one free port.

    Workers bind with SO_REUSEPORT, which would silently share a port with another server
    started the same way, so the check binds without it.
    """
    try:
        family, kind, proto, _, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise BoltConfigError(f"cannot resolve host {host!r}: {exc}") from None
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(sockaddr)
        except OSError as exc:
            where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            raise BoltConfigError(f"cannot listen on {where}: {(exc.strerror or str(exc)).lower()}") from None
        return int(s.getsockname()[1])


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class Supervisor:
    def __init__(self, opts: SupervisorOptions) -> None:
        if opts.workers < 1:
            raise BoltConfigError(f"--workers must be at least 1, got {opts.workers}")
        self.opts = opts
        self.port = opts.port
        self.workers: list[_Worker] = []
        self.failures = [0] * opts.workers
        self.restart_at: dict[int, float] = {}
        self.selector = selectors.DefaultSelector()
        self.signal_received: int | None = None
        self.cpus = sorted(os.sched_getaffinity(0))
        self.announced = False
        self.changed_file: str | None = None  # set by the file watcher thread
        self.rss_checked = 0.0

    # -- running -------------------------------------------------------------------------

    def run(self) -> int:
        """Start the workers and supervise them until a signal; return the exit code."""
        if native.loaded() is not None:  # pragma: no cover - a programming error
            raise RuntimeError("the supervisor must not load libbolt.so (its children are exec'd, but still)")
        self.port = check_address(self.opts.host, self.opts.port)
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        self.selector.register(wake_r, selectors.EVENT_READ, None)
        previous_wakeup = signal.set_wakeup_fd(wake_w.fileno())
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        # A handler (not SIG_IGN, which would reap children for us) so that a dying worker
        # wakes the loop through the wake-up fd at once.
        previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        reloader = self._watch_files(wake_w) if self.opts.reload else None
        try:
            for slot in range(self.opts.workers):
                self._spawn(slot)
            failure = self._supervise(wake_r)
            return self._stop(failure)
        finally:
            if reloader is not None:
                reloader.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            signal.set_wakeup_fd(previous_wakeup)
            self.selector.close()
            wake_r.close()
            wake_w.close()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.signal_received is None:
            self.signal_received = signum

    def _supervise(self, wake: socket.socket) -> str | None:
        while self.signal_received is None:
            now = time.monotonic()
            timeout = min([1.0, *(t - now for t in self.restart_at.values())])
            for key, _ in self.selector.select(max(timeout, 0.0)):
                if key.data is None:
                    self._drain_wakeups(wake)
                else:
                    self._read(key.data)
            failure = self._reap()
            if failure is not None:
                return failure
            self._restart_due()
            if self.opts.max_rss and now - self.rss_checked >= 1.0:
                self.rss_checked = now
                self._check_rss()
            if self.opts.workers_lifetime:
                self._check_lifetimes(now)
            self._kill_overdue(now)
            if self.changed_file is not None:
                self._reload()
        return None

    @staticmethod
    def _drain_wakeups(wake: socket.socket) -> None:
        with contextlib.suppress(BlockingIOError):
            while wake.recv(512):
                pass

    # -- starting ------------------------------------------------------------------------

    def _spawn(self, slot: int, replaces: _Worker | None = None) -> None:
        opts = self.opts
        parent, child = socket.socketpair()
        limit = opts.max_requests + random.randint(0, opts.max_requests_jitter) if opts.max_requests else 0
        spec = WorkerSpec(
            worker_id=slot,
            host=opts.host,
            port=self.port,
            backlog=opts.backlog,
            status_fd=child.fileno(),
            sys_path=[p or os.getcwd() for p in sys.path],
            max_requests=limit,
            cpu=self.cpus[slot % len(self.cpus)] if opts.pin else None,
            debug=opts.reload,
        )
        env = {**os.environ, SPEC_ENV: json.dumps(asdict(spec))}
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "django_bolt._server.worker"], env=env, pass_fds=(child.fileno(),)
            )
        finally:
            child.close()
        parent.setblocking(False)
        worker = _Worker(slot=slot, proc=proc, sock=parent, started=time.monotonic(), replaces=replaces)
        self.workers.append(worker)
        self.selector.register(parent, selectors.EVENT_READ, worker)
        logger.info("worker %d started (pid %d)", slot, proc.pid)

    def _read(self, w: _Worker) -> None:
        try:
            data = w.sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the worker exited; _reap reports it
            self.selector.unregister(w.sock)
            return
        w.buf += data
        *lines, w.buf = w.buf.split(b"\n")
        for line in lines:
            if line.startswith(b"ready"):
                self._on_ready(w)
            elif line == b"recycle":
                self._on_recycle(w, "served its max requests")

    def _on_ready(self, w: _Worker) -> None:
        w.ready_at = time.monotonic()
        if self.opts.workers_lifetime:
            life = self.opts.workers_lifetime
            w.expires_at = w.ready_at + life + random.uniform(0, life * LIFETIME_JITTER)
        old = w.replaces
        if old is not None and old.proc.poll() is None:
            # The replacement listens already, so the old worker can stop accepting.
            old.retiring = True
            self._terminate(old)
            logger.info("worker %d recycled: pid %d replaces pid %d", w.slot, w.proc.pid, old.proc.pid)
        w.replaces = None
        if not self.announced and all(any(x.slot == s and x.ready_at for x in self.workers) for s in self._slots()):
            self.announced = True
            pids = ", ".join(str(x.proc.pid) for x in self.workers)
            host = f"[{self.opts.host}]" if ":" in self.opts.host else self.opts.host
            o = self.opts
            url = f"http://{host}:{self.port}"
            text = banner(url=url, workers=o.workers, loop=o.loop, routes=o.routes, docs=o.docs, dev=o.reload)
            logger.info("%s (pids %s)", text, pids)

    def _on_recycle(self, w: _Worker, reason: str) -> None:
        if w.retiring or w.ready_at is None or any(x.replaces is w for x in self.workers):
            return
        logger.info("worker %d (pid %d) %s; starting its replacement", w.slot, w.proc.pid, reason)
        self._spawn(w.slot, replaces=w)

    def _terminate(self, w: _Worker) -> None:
        w.term_at = time.monotonic()
        w.proc.terminate()

    def _kill_timeout(self) -> float:
        k = self.opts.kill_timeout
        return self.opts.graceful_timeout + STOP_MARGIN if k is None else k

    def _kill_overdue(self, now: float) -> None:
        """SIGKILL a retiring worker that outlived its SIGTERM by the kill timeout."""
        limit = self._kill_timeout()
        for w in self.workers:
            if w.term_at is not None and now - w.term_at >= limit and w.proc.poll() is None:
                logger.error(
                    "worker %d (pid %d) did not stop %gs after SIGTERM; killing it (SIGKILL)", w.slot, w.proc.pid, limit
                )
                w.proc.kill()
                w.term_at = None  # killed once; _reap reports the exit

    def _check_lifetimes(self, now: float) -> None:
        """Replace the first worker past its lifetime, unless a replacement is under way:
        one at a time, so most workers keep accepting while one is replaced."""
        if any(x.replaces is not None for x in self.workers):
            return
        due = [w for w in self.workers if w.expires_at is not None and not w.retiring and now >= w.expires_at]
        if due:
            w = min(due, key=lambda x: x.expires_at or 0.0)
            w.expires_at = None
            self._on_recycle(w, f"reached its --workers-lifetime ({self.opts.workers_lifetime:g}s)")

    def _check_rss(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        for w in list(self.workers):
            try:
                with open(f"/proc/{w.proc.pid}/statm") as f:
                    rss = int(f.read().split()[1]) * page
            except (OSError, IndexError, ValueError):
                continue  # it just exited; _reap reports it
            if rss > self.opts.max_rss:
                self._on_recycle(w, f"uses {rss >> 20} MiB, above --max-rss {self.opts.max_rss >> 20} MiB")

    def _slots(self) -> range:
        return range(self.opts.workers)

    # -- exits ---------------------------------------------------------------------------

    def _reap(self) -> str | None:
        now = time.monotonic()
        for w in list(self.workers):
            code = w.proc.poll()
            if code is None:
                if w.ready_at is None and now - w.started > START_TIMEOUT:
                    return f"worker {w.slot} (pid {w.proc.pid}) did not listen within {START_TIMEOUT:.0f}s"
                continue
            self._forget(w)
            if w.retiring:
                logger.info("worker %d (pid %d) retired (%s)", w.slot, w.proc.pid, _describe(code))
                continue
            if (
                w.ready_at is not None
                and not self.opts.respawn_failed
                and not any(x.replaces is w for x in self.workers)
            ):
                logger.warning(
                    "worker %d (pid %d) %s unexpectedly; not respawned (--no-respawn-failed-workers), %d left",
                    w.slot,
                    w.proc.pid,
                    _describe(code),
                    len(self.workers),
                )
                if not self.workers and not self.restart_at:
                    return "every worker failed and --no-respawn-failed-workers is set"
                continue
            if w.ready_at is None and self.opts.reload and w.replaces is not None:
                logger.error(
                    "worker %d %s after the change; the previous code keeps serving. Fix the error and save again.",
                    w.slot,
                    _describe(code),
                )
                continue
            if w.ready_at is None:
                return f"worker {w.slot} (pid {w.proc.pid}) {_describe(code)} before it was ready"
            if any(x.replaces is w for x in self.workers):
                logger.warning("worker %d (pid %d) %s while being recycled", w.slot, w.proc.pid, _describe(code))
                continue
            if now - w.ready_at > STABLE_AFTER:
                self.failures[w.slot] = 0
            delay = min(BACKOFF_MIN * 2 ** self.failures[w.slot], BACKOFF_MAX)
            self.failures[w.slot] += 1
            logger.warning(
                "worker %d (pid %d) %s unexpectedly; restarting it in %.1fs",
                w.slot,
                w.proc.pid,
                _describe(code),
                delay,
            )
            self.restart_at[w.slot] = now + delay
        return None

    def _forget(self, w: _Worker) -> None:
        self.workers.remove(w)
        with contextlib.suppress(KeyError, ValueError):  # already unregistered at end-of-file
            self.selector.unregister(w.sock)
        w.sock.close()

    def _restart_due(self) -> None:
        now = time.monotonic()
        for slot, at in list(self.restart_at.items()):
            if now >= at:
                del self.restart_at[slot]
                self._spawn(slot)

    # -- dev reload ----------------------------------------------------------------------

    def _watch_files(self, wake: socket.socket) -> Any:
        """Django's autoreloader (Watchman, else mtime polling) in a daemon thread; a change
        only sets ``changed_file`` and wakes the loop: the workers restart, this process stays."""
        from django.utils import autoreload  # noqa: PLC0415 - lazy: the reloader runs only with --dev

        reloader = autoreload.StatReloader() if self.opts.reload_poll else autoreload.get_reloader()

        def changed(sender: object, file_path: Path, **kwargs: object) -> bool:
            self.changed_file = str(file_path)
            with contextlib.suppress(OSError):
                wake.send(b"r")
            return True  # handled: Django must not exit this process

        autoreload.file_changed.connect(changed, weak=False)
        autoreload.autoreload_started.send(sender=reloader)
        threading.Thread(target=reloader.run_loop, name="django-bolt-reloader", daemon=True).start()
        logger.info("watching for file changes with %s", type(reloader).__name__)
        return reloader

    def _reload(self) -> None:
        """Replace every worker; each old one stops once its replacement listens."""
        logger.info("%s changed; restarting the workers", self.changed_file)
        self.changed_file = None
        for w in list(self.workers):
            if w.ready_at is None and w.replaces is not None:
                w.retiring = True  # a replacement still starting runs the code from before the change
                w.replaces = None
                self._terminate(w)
        for w in list(self.workers):
            if not w.retiring and w.ready_at is not None:
                self._spawn(w.slot, replaces=w)

    # -- stopping ------------------------------------------------------------------------

    def _stop(self, failure: str | None) -> int:
        if failure is not None:
            logger.error("%s; stopping (see its error above)", failure)
        else:
            name = signal.Signals(self.signal_received or signal.SIGTERM).name
            logger.info("%s: stopping %d worker(s), each drains its in-flight requests", name, len(self.workers))
        for w in self.workers:
            if w.proc.poll() is None:
                w.proc.terminate()
        limit = self._kill_timeout()
        deadline = time.monotonic() + limit
        clean = True
        for w in list(self.workers):
            try:
                code = w.proc.wait(timeout=max(deadline - time.monotonic(), 0.0))
            except subprocess.TimeoutExpired:
                logger.error(
                    "worker %d (pid %d) did not stop %gs after SIGTERM; killing it (SIGKILL)", w.slot, w.proc.pid, limit
                )
                w.proc.kill()
                code = w.proc.wait()
            # Killed by our SIGTERM before it installed its handler: it was still starting.
            if code not in (0, -signal.SIGTERM):
                clean = False
                logger.warning("worker %d (pid %d) %s while stopping", w.slot, w.proc.pid, _describe(code))
            self._forget(w)
        logger.info("stopped")
        return 0 if clean and failure is None else 1
