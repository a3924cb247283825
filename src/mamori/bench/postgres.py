"""A PostgreSQL database of its own for one benchmark run, dropped afterwards."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

__all__ = ["DEFAULT_SERVER", "fresh_database", "server_url"]

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    """The server to create the run's database on (``MAMORI_BENCH_POSTGRES_URL``)."""
    return os.environ.get("MAMORI_BENCH_POSTGRES_URL", DEFAULT_SERVER)


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """Create an empty database on ``server``; yield its URL; drop it at the end."""
    import psycopg

    name = f"mamori_bench_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
