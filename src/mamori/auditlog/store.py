"""Append leaves and read nodes with plain SQL on Django's connection (the fast path).

Appends hold the log lock for the rest of the transaction — ``pg_advisory_xact_lock`` on
PostgreSQL, the write lock of a ``BEGIN IMMEDIATE`` transaction on SQLite — so concurrent
requests append one after the other and the tree never forks. An append is part of the
caller's transaction: it commits with the change it records, or not at all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import connection, transaction

from mamori.engines.merkle import Frontier, leaf_hash

__all__ = ["DbNodes", "PreparedEntry", "append", "canonical", "frontier_hashes", "size"]

LOCK_KEY = 6962_0001
_cache = threading.local()


def canonical(value: dict[str, Any]) -> bytes:
    """Return the canonical JSON bytes a leaf is hashed over (sorted keys, no spaces, UTF-8).

    Verification never re-serialises: it hashes the stored text, so only determinism at
    write time matters.
    """
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def raw_cursor() -> Any:
    """Return a DB-API cursor of Django's connection, bypassing Django's wrapper (hot paths)."""
    connection.ensure_connection()
    return connection.connection.cursor()


def sql(statement: str) -> str:
    """Adapt ``%s`` placeholders to the driver's style (``?`` for SQLite)."""
    return statement.replace("%s", "?") if connection.vendor == "sqlite" else statement


@dataclass(frozen=True)
class PreparedEntry:
    """An entry's fields before it has a position."""

    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    request_id: str
    body: dict[str, Any]


class DbNodes:
    """Read stored perfect-subtree nodes (the engine's NodeReader); level 0 are leaf hashes.

    Nodes never change once written, so the reader keeps the high ones it has read (levels
    ≥ ``CACHED_FROM``, at most n/256 of them): successive proofs share them.
    """

    CACHED_FROM = 8

    def __init__(self, cursor: Any | None = None) -> None:
        self.cursor = cursor or raw_cursor()
        self.query = sql("SELECT hash FROM auditlog_node WHERE level = %s AND position = %s")
        self.cache: dict[tuple[int, int], bytes] = {}

    def node(self, level: int, index: int) -> bytes:
        """Return the stored hash of (level, index) or raise KeyError."""
        key = (level, index)
        if key in self.cache:
            return self.cache[key]
        self.cursor.execute(self.query, key)
        row = self.cursor.fetchone()
        if row is None:
            raise KeyError(f"node {level}/{index} is missing from the store")
        value = bytes(row[0])
        if level >= self.CACHED_FROM:
            self.cache[key] = value
        return value


def _lock(cursor: Any) -> None:
    """Serialise appenders. SQLite transactions here begin IMMEDIATE, which is the lock."""
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def size(cursor: Any | None = None) -> int:
    """Return the number of entries in the log."""
    cursor = cursor or raw_cursor()
    cursor.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM auditlog_entry")
    return int(cursor.fetchone()[0])


def frontier_hashes(reader: DbNodes, tree_size: int) -> list[bytes]:
    """Return the stored roots of the perfect subtrees that make up a tree of ``tree_size``."""
    hashes, offset = [], 0
    for level in Frontier.levels(tree_size):
        hashes.append(reader.node(level, offset >> level))
        offset += 1 << level
    return hashes


def _frontier(cursor: Any, tree_size: int) -> Frontier:
    cached = getattr(_cache, "frontier", None)
    key = (connection.alias, connection.settings_dict["NAME"], tree_size)
    if cached is not None and cached[0] == key:
        return Frontier(tree_size, cached[1])
    return Frontier(tree_size, frontier_hashes(DbNodes(cursor), tree_size))


def _remember(frontier: Frontier) -> None:
    key = (connection.alias, connection.settings_dict["NAME"], frontier.size)
    snapshot = list(frontier.hashes)
    transaction.on_commit(lambda: setattr(_cache, "frontier", (key, snapshot)))


def _sqlite_time(value: datetime) -> str:
    """Format an aware datetime as Django stores it in SQLite (naive UTC, microseconds)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _rows(
    start: int, entries: Sequence[PreparedEntry], frontier: Frontier
) -> Iterator[tuple[tuple[Any, ...], list[tuple[int, int, bytes]]]]:
    adapt = _sqlite_time if connection.vendor == "sqlite" else (lambda value: value)
    for offset, entry in enumerate(entries):
        position = start + offset
        body = canonical({**entry.body, "index": position})
        leaf = leaf_hash(body)
        nodes = list(frontier.append(leaf))
        at = adapt(entry.at)
        row = (
            position,
            body.decode("utf-8"),
            at,
            entry.actor,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.request_id,
        )
        yield row, nodes


def append(entries: Sequence[PreparedEntry]) -> list[int]:
    """Append ``entries`` in order; return their positions."""
    if not entries:
        return []
    with transaction.atomic():
        cursor = raw_cursor()
        _lock(cursor)
        start = size(cursor)
        frontier = _frontier(cursor, start)
        entry_rows, node_rows = [], []
        for row, nodes in _rows(start, entries, frontier):
            entry_rows.append(row)
            node_rows.extend(nodes)
        cursor.executemany(
            sql(
                "INSERT INTO auditlog_entry (position, body, at, actor, action, object_type, "
                "object_id, request_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            ),
            entry_rows,
        )
        cursor.executemany(
            sql("INSERT INTO auditlog_node (level, position, hash) VALUES (%s, %s, %s)"),
            node_rows,
        )
        _remember(frontier)
    return list(range(start, start + len(entries)))
