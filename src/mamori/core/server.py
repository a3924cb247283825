"""Run the ASGI application under uvicorn (used by ``serve`` and ``demo``)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

__all__ = ["Companion", "ensure_migrated", "register_companion", "run"]

log = logging.getLogger("mamori.server")


def ensure_migrated() -> None:
    """Refuse to serve a database with unapplied migrations."""
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise CommandError(
            f"the database has {len(pending)} unapplied migration(s): run `mamori migrate` first"
        )


class Companion(Protocol):
    """A process an app runs beside the web workers (custody's decider): started before them,
    watched while they serve, stopped with the server."""

    def start(self) -> dict[str, str]:
        """Start; return the environment the workers inherit (empty if it did not start)."""

    def watch(self) -> None:
        """Restart the process whenever it exits, until stopped (runs in a thread)."""

    def stop(self) -> None:
        """Stop the process."""


_COMPANIONS: list[Callable[[], Companion]] = []


def register_companion(factory: Callable[[], Companion]) -> None:
    """Run a ``factory()`` companion beside the workers of every ``serve`` and ``demo``."""
    if factory not in _COMPANIONS:
        _COMPANIONS.append(factory)


def run(host: str, port: int, workers: int, access_log: bool = True) -> None:
    """Serve mamori until interrupted (``access_log``: a line per request), with the custody
    decider process beside the web workers."""
    import uvicorn

    companions = [factory() for factory in _COMPANIONS]
    exported: list[str] = []
    for companion in companions:
        environment = companion.start()
        if environment:
            os.environ.update(environment)  # the workers inherit it
            exported.extend(environment)
            threading.Thread(target=companion.watch, name="mamori-companion", daemon=True).start()
    try:
        uvicorn.run(
            "mamori.asgi:application",
            host=host,
            port=port,
            workers=workers,
            proxy_headers=settings.CONFIG.tls,
            forwarded_allow_ips=(
                ",".join(settings.CONFIG.trusted_proxies) if settings.CONFIG.tls else None
            ),
            log_level=settings.CONFIG.log_level.lower(),
            server_header=False,
            access_log=access_log,
            lifespan="off",
        )
    finally:
        for companion in companions:
            companion.stop()
        for name in exported:
            os.environ.pop(name, None)
