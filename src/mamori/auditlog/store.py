"""Append entries and read the stored tree with plain SQL on Django's connection (the fast path).

The log is stored as runs (:mod:`mamori.engines.merkle.chunks`): an append writes one row per
chunk of 256 it touches, plus one row per subtree of level ≥ 8 it completes — about one row
per append, whatever its size. The search index (:class:`~mamori.auditlog.models.Entry`) is
derived from the bodies outside the append path by :func:`catch_up_index`.

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
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from mamori.engines.merkle import Frontier, bulk
from mamori.engines.merkle import inclusion_proof as merkle_inclusion_proof
from mamori.engines.merkle import inclusion_reads as merkle_inclusion_reads
from mamori.engines.merkle.chunks import (
    CHUNK,
    CHUNK_LEVEL,
    Corrupt,
    pieces,
    split_bodies,
    split_hashes,
)

__all__ = [
    "DbNodes",
    "PreparedEntry",
    "StoredRun",
    "append",
    "body_of",
    "canonical",
    "catch_up_index",
    "entries",
    "frontier_hashes",
    "inclusion_proof",
    "indexed_size",
    "leaves",
    "raw_cursor",
    "runs",
    "size",
    "sql",
]

LOCK_KEY = 6962_0001
#: Beyond this many new entries a stale frontier is rebuilt rather than brought forward.
ADVANCE_LIMIT = 100_000
_cache = threading.local()
_dumps = orjson.dumps
_SORTED = orjson.OPT_SORT_KEYS


def canonical(value: dict[str, Any]) -> bytes:
    """Return the canonical JSON bytes a leaf is hashed over (sorted keys, no spaces, UTF-8).

    Verification never re-serialises: it hashes the stored bytes, so only determinism at
    write time matters. The output never holds a raw newline, which separates bodies in a run.
    """
    return _dumps(value, option=_SORTED)


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


@dataclass(frozen=True)
class StoredRun:
    """One stored run as read back: raw, so verification can say what is wrong with it."""

    first: int
    count: int
    bodies: bytes
    leaves: bytes
    nodes: bytes


def runs(
    cursor: Any, start: int, end: int | None = None, limit: int = 0, bodies: bool = True
) -> list[StoredRun]:
    """Return the runs whose first entry lies in [start, end), in order (without their bodies
    when ``bodies`` is false: reading hashes need not read the entries)."""
    wanted = "bodies" if bodies else "''"
    query = f"SELECT first, count, {wanted}, leaves, nodes FROM auditlog_run WHERE first >= %s"  # noqa: S608
    params: list[int] = [start]
    if end is not None:
        query += " AND first < %s"
        params.append(end)
    query += " ORDER BY first"
    if limit:
        query += " LIMIT %s"
        params.append(limit)
    cursor.execute(sql(query), params)
    return [
        StoredRun(int(f), int(c), bytes(b) if b else b"", bytes(lv), bytes(n))
        for f, c, b, lv, n in cursor.fetchall()
    ]


def leaves(cursor: Any, start: int, end: int) -> list[bytes]:
    """Return the stored leaf hashes of entries [start, end) (runs never cross a chunk, so the
    runs holding them start at or after the chunk of ``start``); raise KeyError on a gap."""
    found: list[bytes] = []
    expected = start - start % CHUNK
    for run in runs(cursor, expected, end, bodies=False):
        if run.first != expected:
            raise KeyError(f"entry {expected} is missing from the store")
        hashes = split_hashes(run.leaves)
        if len(hashes) != run.count:
            raise KeyError(f"entries {run.first}–{run.first + run.count - 1}: leaves are ragged")
        found.extend(hashes)
        expected += run.count
    if expected < end:
        raise KeyError(f"entry {expected} is missing from the store")
    offset = start - start % CHUNK
    return found[start - offset : end - offset]


def _completed_before(offset: int) -> int:
    """Return how many subtrees of levels 1–7 the first ``offset`` entries of a chunk complete
    (entry k completes as many as k + 1 has trailing zero bits: Σ = offset − popcount)."""
    return offset - offset.bit_count()


class DbNodes:
    """Read the stored tree (the engine's NodeReader): subtrees of level ≥ 8 from their rows,
    lower ones from their chunk's runs, which store them in the order they complete. Level 0
    are the leaf hashes.

    Stored nodes never change, so the reader keeps the high ones it has read (at most n/128)
    and the last chunk it opened: successive proofs share them.
    """

    def __init__(self, cursor: Any | None = None) -> None:
        self.cursor = cursor or raw_cursor()
        self.query = sql("SELECT hash FROM auditlog_node WHERE level = %s AND position = %s")
        self.chunk_query = sql(
            "SELECT first, count, leaves, nodes FROM auditlog_run "
            "WHERE first >= %s AND first < %s ORDER BY first"
        )
        self.cache: dict[tuple[int, int], bytes] = {}
        self.chunk: tuple[int, int, bytes, bytes] | None = None  # chunk, entries, leaves, nodes

    def node(self, level: int, index: int) -> bytes:
        """Return the hash of (level, index) or raise KeyError."""
        if level >= CHUNK_LEVEL:
            key = (level, index)
            if key in self.cache:
                return self.cache[key]
            self.cursor.execute(self.query, key)
            row = self.cursor.fetchone()
            if row is None:
                raise KeyError(f"node {level}/{index} is missing from the store")
            value = self.cache[key] = bytes(row[0])
            return value
        chunk = (index << level) >> CHUNK_LEVEL
        _, entries, leaf_blob, node_blob = self._open(chunk)
        last = ((index + 1) << level) - 1 - chunk * CHUNK  # the entry that completes it
        if last >= entries:
            raise KeyError(f"node {level}/{index} is not complete in the stored log")
        at = last * 32 if level == 0 else (_completed_before(last) + level - 1) * 32
        blob = leaf_blob if level == 0 else node_blob
        return blob[at : at + 32]

    def prefetch(self, keys: list[tuple[int, int]]) -> None:
        """Read the stored nodes of level ≥ 8 among ``keys`` in one query (a proof's reads)."""
        wanted: dict[int, list[int]] = {}
        for level, index in keys:
            if level >= CHUNK_LEVEL and (level, index) not in self.cache:
                wanted.setdefault(level, []).append(index)
        if not wanted:
            return
        clauses, params = [], []
        for level, indexes in wanted.items():
            clauses.append(f"(level = %s AND position IN ({', '.join(['%s'] * len(indexes))}))")
            params += [level, *indexes]
        where = " OR ".join(clauses)  # only placeholders are joined in
        query = f"SELECT level, position, hash FROM auditlog_node WHERE {where}"  # noqa: S608
        self.cursor.execute(sql(query), params)
        for level, position, value in self.cursor.fetchall():
            self.cache[(int(level), int(position))] = bytes(value)

    def _open(self, chunk: int) -> tuple[int, int, bytes, bytes]:
        if self.chunk is not None and self.chunk[0] == chunk:
            return self.chunk
        first = chunk * CHUNK
        self.cursor.execute(self.chunk_query, (first, first + CHUNK))
        leaf_parts, node_parts, entries = [], [], 0
        for run_first, count, leaf_blob, node_blob in self.cursor.fetchall():
            if run_first != first + entries:
                break  # a gap: only the entries before it are known
            leaf_parts.append(bytes(leaf_blob))
            node_parts.append(bytes(node_blob))
            entries += count
        self.chunk = (chunk, entries, b"".join(leaf_parts), b"".join(node_parts))
        return self.chunk


def inclusion_proof(reader: DbNodes, index: int, tree_size: int) -> list[bytes]:
    """Return the inclusion proof of entry ``index`` in the tree of ``tree_size``, its stored
    nodes read in one query."""
    reader.prefetch(merkle_inclusion_reads(index, tree_size))
    return merkle_inclusion_proof(reader, index, tree_size)


def _lock(cursor: Any, vendor: str) -> None:
    """Serialise appenders. SQLite transactions here begin IMMEDIATE, which is the lock."""
    if vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def size(cursor: Any | None = None) -> int:
    """Return the number of entries in the log."""
    cursor = cursor or raw_cursor()
    cursor.execute("SELECT first, count FROM auditlog_run ORDER BY first DESC LIMIT 1")
    row = cursor.fetchone()
    return int(row[0]) + int(row[1]) if row else 0


def frontier_hashes(reader: DbNodes, tree_size: int) -> list[bytes]:
    """Return the stored roots of the perfect subtrees that make up a tree of ``tree_size``."""
    hashes, offset = [], 0
    for level in Frontier.levels(tree_size):
        hashes.append(reader.node(level, offset >> level))
        offset += 1 << level
    return hashes


def _cache_key(db: Any) -> tuple[str, str]:
    return db.alias, str(db.settings_dict["NAME"])


def _tip(cursor: Any) -> tuple[int, bytes]:
    """Return the log's size and the leaf hash of its last entry (empty for an empty log)."""
    cursor.execute("SELECT first, count, leaves FROM auditlog_run ORDER BY first DESC LIMIT 1")
    row = cursor.fetchone()
    if row is None:
        return 0, b""
    return int(row[0]) + int(row[1]), bytes(row[2])[-32:]


def _frontier(cursor: Any, key: tuple[str, str], tree_size: int, last_leaf: bytes) -> Frontier:
    """Return the frontier at ``tree_size``: this thread's last one — if the log still holds
    the entry it ended with — brought forward over what others appended since, or rebuilt
    from the stored tree."""
    cached = getattr(_cache, "frontier", None)
    if cached is not None and cached[0] == key and cached[1] <= tree_size:
        known, hashes, known_last = cached[1], cached[2], cached[3]
        if known == tree_size and known_last == last_leaf:
            return Frontier(tree_size, hashes)
        if known < tree_size and tree_size - known <= ADVANCE_LIMIT:
            try:
                newer = leaves(cursor, max(known - 1, 0), tree_size)
            except (KeyError, Corrupt):
                newer = []
            if known == 0 or (newer and newer[0] == known_last):
                frontier = Frontier(known, hashes)
                frontier.extend(newer[1:] if known else newer)
                return frontier
    return Frontier(tree_size, frontier_hashes(DbNodes(cursor), tree_size))


def _remember(key: tuple[str, str], frontier: Frontier, last_leaf: bytes) -> None:
    """Keep this thread's frontier for its next append — at once, not at commit: the next
    append uses it only if the stored log still ends where it ends (same size, same last
    leaf), so the frontier of a rolled-back append is never used, and the appends of one long
    transaction each cost the same instead of re-reading everything appended before them."""
    _cache.frontier = (key, frontier.size, list(frontier.hashes), last_leaf)


_INSERT_RUN = (
    "INSERT INTO auditlog_run (first, count, bodies, leaves, nodes) VALUES (%s, %s, %s, %s, %s)"
)
_INSERT_NODE = "INSERT INTO auditlog_node (level, position, hash) VALUES (%s, %s, %s)"
#: The two inserts of an append, by whether the database is SQLite (placeholders ``?``).
_INSERTS = {
    False: (_INSERT_RUN, _INSERT_NODE),
    True: (_INSERT_RUN.replace("%s", "?"), _INSERT_NODE.replace("%s", "?")),
}


def append(entries: Sequence[PreparedEntry]) -> list[int]:
    """Append ``entries`` in order; return their positions."""
    if not entries:
        return []
    # inside a caller's transaction, part of it (no savepoint of its own: if an append fails,
    # the caller's transaction cannot commit, so a change is never kept without its entry)
    with transaction.atomic(savepoint=False):
        db = connections[DEFAULT_DB_ALIAS]  # looked up once: each look-up costs microseconds
        db.ensure_connection()
        cursor = db.connection.cursor()
        _lock(cursor, db.vendor)
        key = _cache_key(db)
        start, last_leaf = _tip(cursor)
        frontier = _frontier(cursor, key, start, last_leaf)
        run_rows, node_rows = [], []
        for first, count in pieces(start, len(entries)):
            bodies = [
                _dumps({**entry.body, "index": position}, option=_SORTED)
                for position, entry in enumerate(
                    entries[first - start : first - start + count], first
                )
            ]
            joined = b"\n".join(bodies)
            leaf_blob = bulk.leaf_hashes(joined)
            inner = []
            for node in frontier.extend(split_hashes(leaf_blob)):
                if node[0] < CHUNK_LEVEL:
                    inner.append(node[2])
                else:
                    node_rows.append(node)
            run_rows.append((first, count, joined, leaf_blob, b"".join(inner)))
        insert_run, insert_node = _INSERTS[db.vendor == "sqlite"]
        cursor.executemany(insert_run, run_rows)
        if node_rows:
            cursor.executemany(insert_node, node_rows)
        _remember(key, frontier, run_rows[-1][3][-32:])
    return list(range(start, start + len(entries)))


def body_of(position: int) -> bytes:
    """Return the stored body of entry ``position``; raise KeyError if there is none."""
    cursor = raw_cursor()
    cursor.execute(
        sql(
            "SELECT first, count, bodies FROM auditlog_run WHERE first <= %s "
            "ORDER BY first DESC LIMIT 1"
        ),
        [position],
    )
    row = cursor.fetchone()
    if row is None or not int(row[0]) <= position < int(row[0]) + int(row[1]):
        raise KeyError(f"entry {position} is not in the log")
    return split_bodies(bytes(row[2]), int(row[1]))[position - int(row[0])]


def _sqlite_time(value: datetime) -> str:
    """Format an aware datetime as Django stores it in SQLite (naive UTC, microseconds)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def index_row(position: int, body: bytes) -> tuple[Any, ...]:
    """Return the search-index row a body gives: position, at, actor, action, object, request."""
    parsed = orjson.loads(body)
    obj = parsed.get("object") or {}
    return (
        position,
        datetime.fromisoformat(parsed["at"]),
        str(parsed.get("actor") or "")[:200],
        str(parsed.get("action") or "")[:100],
        str(obj.get("type") or "")[:100],
        str(obj.get("id") or "")[:100],
        str(parsed.get("request_id") or "")[:64],
    )


def entries(
    cursor: Any, start: int, end: int | None = None, batch: int = 2_000
) -> Iterator[tuple[int, bytes, bytes]]:
    """Yield (position, body, leaf hash) of the stored entries in [start, end), in order, reading
    ``batch`` runs a query (each query's rows are fetched whole, so the cursor may be used
    between items)."""
    first = start - start % CHUNK  # the run holding ``start`` begins in its chunk
    while True:
        stored = runs(cursor, first, end, limit=batch)
        if not stored:
            return
        for run in stored:
            hashes = split_hashes(run.leaves)
            for offset, body in enumerate(split_bodies(run.bodies, run.count)):
                position = run.first + offset
                if position >= start and (end is None or position < end):
                    yield position, body, hashes[offset]
        first = stored[-1].first + stored[-1].count


def indexed_size(cursor: Any) -> int:
    """Return how many entries, from the first, the search index holds."""
    cursor.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM auditlog_entry")
    return int(cursor.fetchone()[0])


def catch_up_index(batch: int = 2_000) -> int:
    """Add the search-index rows of every entry not yet indexed; return how many were added.

    Called before every query of the index and by the checkpoint job, so a search always
    sees every committed entry. Concurrent catch-ups skip rows another one wrote.
    """
    cursor = raw_cursor()
    done = indexed_size(cursor)
    if done >= size(cursor):
        return 0
    insert = sql(
        "INSERT INTO auditlog_entry (position, at, actor, action, object_type, object_id, "
        "request_id) VALUES (%s, %s, %s, %s, %s, %s, %s)"
    )
    if connection.vendor == "sqlite":
        insert = insert.replace("INSERT INTO", "INSERT OR IGNORE INTO")
    else:
        insert += " ON CONFLICT (position) DO NOTHING"
    adapt = _sqlite_time if connection.vendor == "sqlite" else None
    added = 0
    with transaction.atomic():
        rows: list[tuple[Any, ...]] = []
        for position, body, _ in entries(cursor, done, batch=batch):
            row = index_row(position, body)
            rows.append((row[0], adapt(row[1]), *row[2:]) if adapt else row)
            if len(rows) >= batch:
                cursor.executemany(insert, rows)
                added, rows = added + len(rows), []
        if rows:
            cursor.executemany(insert, rows)
            added += len(rows)
    return added
