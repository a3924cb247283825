"""Child processes that end with the process that started them, whenever it dies.

``mamori serve`` and ``mamori demo`` start processes beside themselves: the custody decider,
uvicorn's worker processes, and in the demo an Ethereum node (anvil). A server stopped by
``kill -9``, or by SIGTERM before its shutdown path runs, used to leave them running with
parent 1 — a decider still deciding withdrawal checks, workers still answering on the port, a
node still holding its port — until someone found them.

Three mechanisms, from the strongest:

* :func:`popen` starts a program bound to the calling process. On Linux the kernel sends the
  child a signal (``prctl(PR_SET_PDEATHSIG)``, set in the child between fork and exec, kept
  across exec) when the *thread* that started it ends, so start children from the main thread
  or from a thread that lives as long as the process (the companion's watch thread). The
  child then checks that its parent is still the process that started it: a parent that
  died before the ``prctl`` would otherwise never be noticed.
* :func:`bind_to_parent` does the same from inside a Python child started some other way
  (uvicorn's worker processes, a process pool's workers), or again in a ``mamori`` command
  started by :func:`popen` (which names its parent in ``MAMORI_PARENT_PID``). On systems
  without ``PR_SET_PDEATHSIG`` (macOS, the BSDs) it starts a watchdog thread instead that
  polls the parent's id and ends the process within half a second of the parent's death;
  there a program that is not Python (anvil) is bound by nothing and is stopped only by the
  shutdown path below, so ``kill -9`` of the server leaves it running.
* :func:`exit_on_signals` makes SIGTERM and SIGHUP end the server through its shutdown path
  (``finally`` blocks, ``atexit`` handlers) instead of at once: Python's default for SIGTERM
  skips both, and uvicorn re-raises the SIGTERM it caught once it has shut its workers
  down, which left the demo's anvil running.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

__all__ = ["PARENT_ENV", "bind_to_parent", "exit_on_signals", "popen"]

#: The id of the process that started a ``mamori`` command with :func:`popen`; read and
#: removed by :func:`bind_to_parent` (a grandchild must not take it for its own parent's).
PARENT_ENV = "MAMORI_PARENT_PID"

_PR_SET_PDEATHSIG = 1
#: The status of a child whose parent died before it could be bound (as if killed by SIGTERM).
_ORPHANED = 128 + signal.SIGTERM


def _load_prctl() -> Callable[..., int] | None:
    """Return libc's ``prctl`` on Linux, else None (looked up once, before any fork)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    function: Callable[..., int] = prctl
    return function


_prctl = _load_prctl()


def _die_with(parent: int, sig: int) -> None:
    """In a forked child before exec: ask for ``sig`` when the parent dies; if it already
    has, end here (runs between fork and exec: no imports, no locks, no logging)."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(_ORPHANED)


def popen(
    args: Sequence[str],
    *,
    death_signal: int = signal.SIGTERM,
    env: dict[str, str] | None = None,
    **kwargs: Any,
) -> subprocess.Popen[bytes]:
    """Start ``args`` like :class:`subprocess.Popen`, bound to this process: on Linux it
    receives ``death_signal`` when the calling thread ends (with the process, for the main
    thread), and it does not start at all if this process is already gone. ``env`` (default:
    this process's environment) gains ``MAMORI_PARENT_PID`` for :func:`bind_to_parent`."""
    parent = os.getpid()
    environment = dict(os.environ if env is None else env)
    environment[PARENT_ENV] = str(parent)
    preexec = None
    if _prctl is not None:

        def preexec() -> None:
            _die_with(parent, death_signal)

    return subprocess.Popen(  # noqa: S603 - the callers' own fixed commands
        list(args), env=environment, preexec_fn=preexec, **kwargs
    )


def bind_to_parent(parent: int | None = None, death_signal: int = signal.SIGTERM) -> None:
    """Make this process end with the one that started it: ``parent``, else the one named in
    ``MAMORI_PARENT_PID`` (by :func:`popen`), else the multiprocessing parent, else the
    current parent. If that parent is already gone, end now. On Linux the kernel delivers
    ``death_signal``; elsewhere a daemon thread polls and delivers it (see the module)."""
    named = os.environ.pop(PARENT_ENV, "")
    if parent is None and named.isdigit():
        parent = int(named)
    if parent is None:
        spawner = multiprocessing.parent_process()
        parent = spawner.pid if spawner is not None and spawner.pid else os.getppid()
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, death_signal, 0, 0, 0)
    if os.getppid() != parent:  # gone before the prctl: nothing would tell us
        os._exit(_ORPHANED)
    if _prctl is None:
        threading.Thread(
            target=_watch_parent, args=(parent, death_signal), name="mamori-parent", daemon=True
        ).start()


def _watch_parent(parent: int, death_signal: int) -> None:
    """Deliver ``death_signal`` to this process once its parent is no longer ``parent``."""
    stopped = threading.Event()
    while not stopped.wait(0.5):
        if os.getppid() != parent:
            os.kill(os.getpid(), death_signal)
            stopped.wait(5.0)  # a handler may shut down gracefully; then end regardless
            os._exit(_ORPHANED)


_received: list[int] = []


def exit_on_signals() -> None:
    """In the main thread: make SIGTERM and SIGHUP raise :class:`SystemExit`, so that
    ``finally`` blocks and ``atexit`` handlers stop what the process started; once they have,
    the process ends by the same signal, as a service manager expects of a stopped service. A
    second signal ends the process at once (its children still end with it)."""

    def leave(signum: int, frame: FrameType | None) -> None:
        signal.signal(signum, signal.SIG_DFL)
        _received.append(signum)
        raise SystemExit(128 + signum)

    atexit.register(_end_by_signal)  # before what the command starts: runs after their handlers
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, leave)


def _end_by_signal() -> None:
    """At exit, after the other ``atexit`` handlers: end by the signal that stopped us."""
    if _received:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        signal.signal(_received[0], signal.SIG_DFL)
        os.kill(os.getpid(), _received[0])
