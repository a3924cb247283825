"""Run the ASGI application under uvicorn (used by ``serve`` and ``demo``)."""

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
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

__all__ = ["ensure_migrated", "run"]

log = logging.getLogger("mamori.server")


def ensure_migrated() -> None:
    """Refuse to serve a database with unapplied migrations."""
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise CommandError(
            f"the database has {len(pending)} unapplied migration(s): run `mamori migrate` first"
        )


class _DeciderProcess:
    """The custody decider process (:mod:`mamori.custody.decider`) beside the web workers:
    started before them, restarted if it dies, stopped with the server."""

    def __init__(self) -> None:
        self.socket = settings.CONFIG.data_dir / "custody-decider.sock"
        if len(str(self.socket)) > 100:  # beyond what a Unix socket path may hold
            self.socket = Path(tempfile.mkdtemp(prefix="mamori-")) / "decider.sock"
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()

    def start(self) -> bool:
        """Start the process; return whether it listens (else the workers decide in threads)."""
        self.process = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
            [sys.executable, "-m", "mamori", "custody", "decider", "--socket", str(self.socket)]
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                if probe.connect_ex(str(self.socket)) == 0:
                    return True
            time.sleep(0.1)
        log.warning("the custody decider did not start; web workers decide in their own threads")
        self.stop()
        return False

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


def run(host: str, port: int, workers: int, access_log: bool = True) -> None:
    """Serve mamori until interrupted (``access_log``: a line per request), with the custody
    decider process beside the web workers."""
    import uvicorn

    from mamori.custody.gateway import DECIDER_SOCKET

    decider = _DeciderProcess()
    if decider.start():
        os.environ[DECIDER_SOCKET] = str(decider.socket)  # the workers inherit it
        threading.Thread(target=decider.watch, name="mamori-decider-watch", daemon=True).start()
    try:
        uvicorn.run(
            "mamori.asgi:application",
            host=host,
            port=port,
            workers=workers,
            proxy_headers=settings.CONFIG.tls,
            forwarded_allow_ips="127.0.0.1" if settings.CONFIG.tls else None,
            log_level=settings.CONFIG.log_level.lower(),
            server_header=False,
            access_log=access_log,
            lifespan="off",
        )
    finally:
        decider.stop()
        os.environ.pop(DECIDER_SOCKET, None)
