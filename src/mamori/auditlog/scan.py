"""Read the log chunk by chunk and check each chunk, in this process or in worker processes.

Nothing here imports Django: a worker opens its own read-only connection from the
:class:`Database` it is given, so verification can use every core of the machine (the log is
split into ranges of whole chunks; the parent combines their roots in order).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from mamori.core import children
from mamori.engines.merkle.chunks import CHUNK, ChunkCheck, RawRun, check_chunk

__all__ = ["Database", "check_chunks", "chunk_runs", "parallel_checks"]

BATCH = 64


@dataclass(frozen=True)
class Database:
    """How a worker reaches the log: the vendor and the connection settings."""

    vendor: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    def connect(self) -> Any:
        """Open a new read-only connection."""
        if self.vendor == "sqlite":
            return sqlite3.connect(Path(self.name).resolve().as_uri() + "?mode=ro", uri=True)
        import psycopg

        connection = psycopg.connect(
            dbname=self.name,
            user=self.user or None,
            password=self.password or None,
            host=self.host or None,
            port=self.port or None,
        )
        connection.read_only = True
        return connection

    @property
    def mark(self) -> str:
        """Return the driver's placeholder."""
        return "?" if self.vendor == "sqlite" else "%s"


def chunk_runs(
    cursor: Any, mark: str, first_chunk: int = 0, end_chunk: int | None = None
) -> Iterator[tuple[int, list[RawRun]]]:
    """Yield (chunk, its runs in order) for the chunks in [first_chunk, end_chunk)."""
    query = f"SELECT first, count, bodies, leaves, nodes FROM auditlog_run WHERE first >= {mark}"  # noqa: S608
    if end_chunk is not None:
        query += f" AND first < {end_chunk * CHUNK}"
    query += f" ORDER BY first LIMIT {BATCH}"
    start = first_chunk * CHUNK
    chunk: int | None = None
    group: list[RawRun] = []
    while True:
        cursor.execute(query, [start])
        rows = cursor.fetchall()
        if not rows:
            break
        for first, count, bodies, leaves, nodes in rows:
            run = (int(first), int(count), bytes(bodies), bytes(leaves), bytes(nodes))
            if run[0] // CHUNK != chunk:
                if group:
                    assert chunk is not None
                    yield chunk, group
                chunk, group = run[0] // CHUNK, []
            group.append(run)
        start = int(rows[-1][0]) + 1
    if group:
        assert chunk is not None
        yield chunk, group


def check_chunks(
    cursor: Any, mark: str, first_chunk: int = 0, end_chunk: int | None = None
) -> Iterator[ChunkCheck]:
    """Check every chunk in [first_chunk, end_chunk) in order."""
    for chunk, runs in chunk_runs(cursor, mark, first_chunk, end_chunk):
        yield check_chunk(chunk, runs)


def _check_range(
    database: Database, first_chunk: int, end_chunk: int, keep: frozenset[int]
) -> list[ChunkCheck]:
    """Check chunks [first_chunk, end_chunk) in a worker; leaves only of ``keep``, of
    incomplete chunks and of chunks with a problem (what the parent still needs)."""
    connection = database.connect()
    try:
        cursor = connection.cursor()
        out = []
        for check in check_chunks(cursor, database.mark, first_chunk, end_chunk):
            wanted = check.chunk in keep or check.root is None
            out.append(check if wanted else check.without_leaves())
            if check.problem:
                break
        return out
    finally:
        connection.close()


def parallel_checks(
    database: Database, chunks: int, keep: frozenset[int], workers: int
) -> Iterator[ChunkCheck]:
    """Check chunks [0, chunks) — and any stored beyond — in ``workers`` processes; yield the
    checks in chunk order."""
    span = max(64, -(-chunks // (workers * 8)))  # a few tasks a worker, so none waits long
    ranges = [(start, min(start + span, chunks)) for start in range(0, chunks, span)]
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=children.bind_to_parent
    ) as pool:  # workers that end with this process, however it ends
        futures = [pool.submit(_check_range, database, a, b, keep) for a, b in ranges]
        for future in futures:
            for check in future.result():
                yield check
                if check.problem:
                    for rest in futures:
                        rest.cancel()
                    return
    connection = database.connect()
    try:
        yield from check_chunks(connection.cursor(), database.mark, chunks)  # anything beyond
    finally:
        connection.close()
