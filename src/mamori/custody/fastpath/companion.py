"""The custody deciders beside the web workers (:mod:`mamori.custody.fastpath.decider`),
registered with ``mamori serve`` and ``mamori demo`` as a companion (ISM 27-2, 27-3: every
withdrawal check decided in one place, in order).

``MAMORI_CUSTODY_DECIDERS`` of them are started (default 2: a leader and a standby that takes
over within a poll when the leader dies); each listens on a Unix socket of its own and the
workers are told every address. Deciders on other machines are run with ``mamori custody
decider --listen tcp:HOST:PORT`` and named to the workers in ``MAMORI_CUSTODY_DECIDER``; with
``MAMORI_CUSTODY_DECIDERS=0`` a server starts none of its own.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings

from mamori.core import children
from mamori.custody.fastpath.gateway import DECIDERS

__all__ = ["DeciderProcess", "count"]

log = logging.getLogger("mamori.server")
#: Deciders a server starts unless ``MAMORI_CUSTODY_DECIDERS`` says otherwise.
DEFAULT_COUNT = 2


def count() -> int:
    """Return how many deciders a server starts (``MAMORI_CUSTODY_DECIDERS``, 0 to 8)."""
    text = os.environ.get("MAMORI_CUSTODY_DECIDERS", "").strip() or str(DEFAULT_COUNT)
    if not text.isdigit() or not 0 <= int(text) <= 8:
        raise ValueError(f"MAMORI_CUSTODY_DECIDERS must be a number from 0 to 8, not {text!r}")
    return int(text)


class _One:
    """One decider process and its socket."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "mamori", "custody", "decider"]
        self.process = children.popen(  # ends with the server, however it ends
            [*command, "--listen", f"unix:{self.path}"]
        )

    def listening(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            return probe.connect_ex(str(self.path)) == 0

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.path.unlink(missing_ok=True)


class DeciderProcess:
    """The custody decider processes beside the web workers: started before them, each
    restarted if it dies, stopped with the server."""

    def __init__(self) -> None:
        folder = settings.CONFIG.data_dir
        if len(str(folder / "custody-decider-0.sock")) > 100:  # beyond a Unix socket path
            folder = Path(tempfile.mkdtemp(prefix="mamori-"))
        self.deciders = [_One(folder / f"custody-decider-{i}.sock") for i in range(count())]
        self.stopping = threading.Event()

    def start(self) -> dict[str, str]:
        """Start the processes; return their addresses for the workers (none started: the
        workers keep what they were told, or decide in threads of their own)."""
        if not self.deciders:
            return {}
        for decider in self.deciders:
            decider.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(d.exited() for d in self.deciders):
            if any(d.listening() for d in self.deciders):
                local = [f"unix:{d.path}" for d in self.deciders]
                elsewhere = os.environ.get(DECIDERS, "").strip()  # deciders on other machines
                return {DECIDERS: ",".join([*local, elsewhere] if elsewhere else local)}
            time.sleep(0.1)
        log.warning("no custody decider started; web workers decide in their own threads")
        self.stop()
        return {}

    def watch(self) -> None:
        """Restart a process whenever it exits, until the server stops."""
        while not self.stopping.wait(1.0):
            for decider in self.deciders:
                if decider.exited() and not self.stopping.is_set():
                    assert decider.process is not None
                    code = decider.process.returncode
                    log.warning("a custody decider exited (%s); restarting it", code)
                    decider.start()

    def stop(self) -> None:
        """Stop the processes."""
        self.stopping.set()
        for decider in self.deciders:
            decider.stop()
