"""Run the ASGI application under uvicorn (used by ``serve`` and ``demo``)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

__all__ = ["ensure_migrated", "run"]


def ensure_migrated() -> None:
    """Refuse to serve a database with unapplied migrations."""
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise CommandError(
            f"the database has {len(pending)} unapplied migration(s): run `mamori migrate` first"
        )


def run(host: str, port: int, workers: int) -> None:
    """Serve mamori until interrupted."""
    import uvicorn

    uvicorn.run(
        "mamori.asgi:application",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=settings.CONFIG.tls,
        forwarded_allow_ips="127.0.0.1" if settings.CONFIG.tls else None,
        log_level=settings.CONFIG.log_level.lower(),
        server_header=False,
        lifespan="off",
    )
