"""The custody decider process beside the web workers (:mod:`mamori.custody.decider`),
registered with ``mamori serve`` and ``mamori demo`` as a companion (ISM 27-2, 27-3: every
withdrawal check decided in one place, in order)."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings

from mamori.core import children
from mamori.custody.gateway import DECIDER_SOCKET

__all__ = ["DeciderProcess"]

log = logging.getLogger("mamori.server")


class DeciderProcess:
    """The custody decider process (:mod:`mamori.custody.decider`) beside the web workers:
    started before them, restarted if it dies, stopped with the server."""

    def __init__(self) -> None:
        self.socket = settings.CONFIG.data_dir / "custody-decider.sock"
        if len(str(self.socket)) > 100:  # beyond what a Unix socket path may hold
            self.socket = Path(tempfile.mkdtemp(prefix="mamori-")) / "decider.sock"
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()

    def start(self) -> dict[str, str]:
        """Start the process; return the socket for the workers (none: they decide in threads)."""
        self.process = children.popen(  # ends with the server, however it ends
            [sys.executable, "-m", "mamori", "custody", "decider", "--socket", str(self.socket)]
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                if probe.connect_ex(str(self.socket)) == 0:
                    return {DECIDER_SOCKET: str(self.socket)}
            time.sleep(0.1)
        log.warning("the custody decider did not start; web workers decide in their own threads")
        self.stop()
        return {}

    def watch(self) -> None:
        """Restart the process whenever it exits, until the server stops."""
        while not self.stopping.wait(1.0):
            if self.process is not None and self.process.poll() is not None:
                log.warning(
                    "the custody decider exited (%s); restarting it", self.process.returncode
                )
                self.start()

    def stop(self) -> None:
        """Stop the process."""
        self.stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.socket.unlink(missing_ok=True)
