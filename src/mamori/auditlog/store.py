"""Append leaves and read nodes with plain SQL on Django's connection (the fast path).

Appends hold the log lock for the rest of the transaction — ``pg_advisory_xact_lock`` on
PostgreSQL, the write lock of a ``BEGIN IMMEDIATE`` transaction on SQLite — so concurrent
requests append one after the other and the tree never forks. An append is part of the
caller's transaction: it commits with the change it records, or not at all.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from mamori.engines.merkle import Frontier, leaf_hash

__all__ = ["DbNodes", "PreparedEntry", "append", "canonical", "size"]

LOCK_KEY = 6962_0001
_cache = threading.local()


def canonical(value: dict[str, Any]) -> bytes:
    """Return the canonical JSON bytes a leaf is hashed over (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


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
    """Read stored perfect-subtree nodes (the engine's NodeReader)."""

    def __init__(self, cursor: Any | None = None) -> None:
        self.cursor = cursor or connection.cursor()

    def node(self, level: int, index: int) -> bytes:
        """Return the stored hash of (level, index) or raise KeyError."""
        self.cursor.execute(
            "SELECT hash FROM auditlog_node WHERE level = %s AND position = %s", [level, index]
        )
        row = self.cursor.fetchone()
        if row is None:
            raise KeyError(f"node {level}/{index} is missing from the store")
        return bytes(row[0])


def _lock(cursor: Any) -> None:
    """Serialise appenders. SQLite transactions here begin IMMEDIATE, which is the lock."""
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def size(cursor: Any | None = None) -> int:
    """Return the number of entries in the log."""
    cursor = cursor or connection.cursor()
    cursor.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM auditlog_entry")
    return int(cursor.fetchone()[0])


def _frontier(cursor: Any, tree_size: int) -> Frontier:
    cached = getattr(_cache, "frontier", None)
    key = (connection.alias, connection.settings_dict["NAME"], tree_size)
    if cached is not None and cached[0] == key:
        return Frontier(tree_size, cached[1])
    reader = DbNodes(cursor)
    hashes, offset = [], 0
    for level in Frontier.levels(tree_size):
        hashes.append(reader.node(level, offset >> level))
        offset += 1 << level
    return Frontier(tree_size, hashes)


def _remember(frontier: Frontier) -> None:
    key = (connection.alias, connection.settings_dict["NAME"], frontier.size)
    snapshot = list(frontier.hashes)
    transaction.on_commit(lambda: setattr(_cache, "frontier", (key, snapshot)))


def _rows(
    start: int, entries: Sequence[PreparedEntry], frontier: Frontier
) -> Iterator[tuple[tuple[Any, ...], list[tuple[int, int, bytes]]]]:
    for offset, entry in enumerate(entries):
        position = start + offset
        body = canonical({**entry.body, "index": position})
        leaf = leaf_hash(body)
        nodes = list(frontier.append(leaf))
        at = connection.ops.adapt_datetimefield_value(entry.at)
        row = (
            position,
            body.decode("utf-8"),
            leaf,
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
        cursor = connection.cursor()
        _lock(cursor)
        start = size(cursor)
        frontier = _frontier(cursor, start)
        entry_rows, node_rows = [], []
        for row, nodes in _rows(start, entries, frontier):
            entry_rows.append(row)
            node_rows.extend(nodes)
        cursor.executemany(
            "INSERT INTO auditlog_entry (position, body, leaf_hash, at, actor, action, "
            "object_type, object_id, request_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            entry_rows,
        )
        cursor.executemany(
            "INSERT INTO auditlog_node (level, position, hash) VALUES (%s, %s, %s)", node_rows
        )
        _remember(frontier)
    return list(range(start, start + len(entries)))
