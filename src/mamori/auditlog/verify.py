"""Recompute the whole log and check it against every stored checkpoint (ISM 23-1-2).

Reports the first problem exactly: the entry position (changed, missing, moved) or the
checkpoint (foreign signature, size going backwards, root that does not match, truncation).

The log is checked a chunk of 256 entries at a time (:mod:`mamori.engines.merkle.chunks`):
every body is hashed and compared with its stored leaf hash, each complete chunk's root and
every subtree above it are compared with the stored nodes, and the root at each checkpoint
with the signed one. Where a chunk or a checkpoint does not hold, the entries under it are
examined one by one (the index each body gives itself, the stored subtree hashes of levels
1–7) to name the first that is wrong. Large logs are checked by several processes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from mamori.auditlog import scan
from mamori.auditlog.models import Checkpoint
from mamori.auditlog.store import entries, index_row, indexed_size, raw_cursor, size, sql
from mamori.engines import merkle
from mamori.engines.merkle.chunks import (
    CHUNK,
    CHUNK_LEVEL,
    ChunkCheck,
    check_chunk,
    inner_node_problem,
    split_bodies,
)

__all__ = ["PARALLEL_FROM", "Problem", "Result", "check_index", "verify"]

#: Logs of at least this many entries are checked by one process per core.
PARALLEL_FROM = 400_000
INDEX_BATCH = 20_000
COLUMNS = ("at", "actor", "action", "object_type", "object_id", "request_id")


class Problem(Exception):
    """The first thing that does not verify."""


@dataclass(frozen=True)
class Result:
    """What was checked and whether everything held."""

    entries: int
    checkpoints: int
    problem: str | None

    @property
    def ok(self) -> bool:
        """Return whether the log verified."""
        return self.problem is None


def _checkpoints(verifiers: Sequence[str]) -> dict[int, bytes]:
    roots: dict[int, bytes] = {}
    previous: Checkpoint | None = None
    for row in Checkpoint.objects.order_by("issued_at", "size"):
        try:
            signed = merkle.parse_checkpoint_by_any(row.note, verifiers)
        except merkle.CheckpointError as exc:
            raise Problem(f"checkpoint {row.size}: {exc}") from None
        if signed.size != row.size or signed.root != bytes(row.root):
            raise Problem(f"checkpoint {row.size}: its signed note says size {signed.size}")
        if previous is not None and row.size <= previous.size:
            raise Problem(
                f"checkpoint {row.size} was issued after checkpoint {previous.size}: "
                "the log went backwards"
            )
        roots[row.size] = signed.root
        previous = row
    return roots


def _mark() -> str:
    return "?" if connection.vendor == "sqlite" else "%s"


def _database() -> scan.Database:
    settings = connection.settings_dict
    return scan.Database(
        connection.vendor,
        str(settings["NAME"]),
        str(settings.get("USER") or ""),
        str(settings.get("PASSWORD") or ""),
        str(settings.get("HOST") or ""),
        str(settings.get("PORT") or ""),
    )


def _pinpoint(cursor: Any, start: int, end: int) -> str | None:
    """Examine entries [start, end) one by one; return the first problem found, if any."""
    first_chunk, last_chunk = start // CHUNK, (end - 1) // CHUNK
    for chunk, runs in scan.chunk_runs(cursor, _mark(), first_chunk, last_chunk + 1):
        check = check_chunk(chunk, runs)
        if check.problem:
            return check.problem
        for first, count, bodies, _, _ in runs:
            for offset, body in enumerate(split_bodies(bodies, count)):
                try:
                    said = json.loads(body).get("index")
                except ValueError:
                    return f"entry {first + offset}: its body is not JSON"
                if said != first + offset:
                    return f"entry {first + offset}: its body says index {said} (moved)"
        problem = inner_node_problem(chunk, runs, check.leaf_list())
        if problem:
            return problem
    return None


class _Walk:
    """The tree above the chunks, rebuilt as the checks arrive in order, and compared with the
    stored nodes and the checkpoints."""

    def __init__(
        self, cursor: Any, roots: dict[int, bytes], labels: dict[int, str] | None = None
    ) -> None:
        self.cursor = cursor
        self.roots = roots
        self.labels = labels or {}  # sizes whose root came from outside the database
        self.sizes = sorted(roots)
        self.next_size = 0  # index into sizes of the next checkpoint to check
        self.upper = merkle.Frontier()  # leaves are chunk roots: level + CHUNK_LEVEL
        self.pending: list[tuple[int, int, bytes]] = []
        self.count = 0
        self.checked = 0
        self.verified = 0  # size of the last checkpoint that held

    def flush(self) -> None:
        """Compare the computed nodes of level ≥ 8 with the stored ones."""
        by_level: dict[int, list[tuple[int, bytes]]] = {}
        for level, index, value in self.pending:
            by_level.setdefault(level, []).append((index, value))
        self.pending = []
        for level, items in sorted(by_level.items()):
            self.cursor.execute(
                sql(
                    "SELECT position, hash FROM auditlog_node "
                    "WHERE level = %s AND position BETWEEN %s AND %s"
                ),
                (level, items[0][0], items[-1][0]),
            )
            stored = {int(p): bytes(h) for p, h in self.cursor.fetchall()}
            for index, value in items:
                got = stored.get(index)
                if got == value:
                    continue
                first, last = index << level, ((index + 1) << level) - 1
                exact = _pinpoint(self.cursor, first, last + 1) if got else None
                shown = got.hex() if got else "missing"
                raise Problem(
                    exact
                    or f"entries {first}–{last}: stored tree node {level}/{index} is {shown}, "
                    f"recomputed {value.hex()} (an entry and its leaf hash were both changed)"
                )

    def _check_root(self, size: int, root: bytes) -> None:
        self.flush()
        self.checked += 1
        if root == self.roots[size]:
            self.verified = size
            return
        exact = _pinpoint(self.cursor, self.verified - self.verified % CHUNK, size)
        if exact:
            raise Problem(exact)
        label = self.labels.get(size)
        if label:
            raise Problem(
                f"{label} diverges at size {size}: signed root {self.roots[size].hex()}, the "
                f"log gives {root.hex()} (the log was rewritten consistently)"
            )
        raise Problem(
            f"checkpoint {size}: root expected {self.roots[size].hex()}, got {root.hex()}"
        )

    def add(self, check: ChunkCheck) -> None:
        """Take the next chunk's check."""
        start = check.chunk * CHUNK
        if start != self.count:
            self.flush()
            following = check.first if check.first is not None else start
            raise Problem(f"entry {self.count} is missing (the next stored entry is {following})")
        end = start + check.size
        while self.next_size < len(self.sizes) and self.sizes[self.next_size] <= end:
            size = self.sizes[self.next_size]
            if size == end and check.root is not None:
                break  # the chunk's own root completes it: checked below
            partial = merkle.Frontier()
            for leaf in check.leaf_list(size - start):
                partial.append(leaf)
            joined = merkle.Frontier(size, self.upper.hashes + partial.hashes)
            self._check_root(size, joined.root())
            self.next_size += 1
        if check.problem:
            self.flush()
            raise Problem(check.problem)
        if check.root is not None:
            for level, index, value in self.upper.append(check.root):
                self.pending.append((level + CHUNK_LEVEL, index, value))
            if len(self.pending) >= 4096:
                self.flush()
            if self.next_size < len(self.sizes) and self.sizes[self.next_size] == end:
                self._check_root(end, self.upper.root())
                self.next_size += 1
        self.count = end

    def finish(self) -> None:
        """Check what no checkpoint covers yet, and that no checkpoint is beyond the log."""
        self.flush()
        if self.count > self.verified:
            exact = _pinpoint(self.cursor, self.verified - self.verified % CHUNK, self.count)
            if exact:
                raise Problem(exact)
        beyond = [size for size in self.sizes if size > self.count]
        if beyond:
            label = self.labels.get(max(beyond), f"checkpoint {max(beyond)}")
            raise Problem(
                f"the log holds {self.count} entries but {label} was signed at size "
                f"{max(beyond)}: entries were removed from the end"
            )


def _checks(cursor: Any, workers: int, sizes: list[int]) -> Iterator[ChunkCheck]:
    """Yield every chunk's check in order; the chunks holding a checkpoint size keep their
    leaves (its root is computed from them)."""
    stored = size(cursor)
    if workers > 1 and stored >= PARALLEL_FROM and connection.vendor in ("sqlite", "postgresql"):
        keep = frozenset((size - 1) // CHUNK for size in sizes)
        yield from scan.parallel_checks(_database(), stored // CHUNK, keep, workers)
    else:
        yield from scan.check_chunks(cursor, _mark())


def _stored_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def check_index(cursor: Any, count: int) -> None:
    """Compare every search-index row with the body of its entry (the index is derived; a row
    that disagrees would hide or misname an entry in searches); raise :class:`Problem`."""
    indexed = indexed_size(cursor)
    if indexed > count:
        raise Problem(f"search index: it lists entry {indexed - 1}, which the log does not hold")
    for low in range(0, indexed, INDEX_BATCH):
        high = min(low + INDEX_BATCH, indexed)
        cursor.execute(
            sql(
                "SELECT position, at, actor, action, object_type, object_id, request_id "
                "FROM auditlog_entry WHERE position >= %s AND position < %s ORDER BY position"
            ),
            (low, high),
        )
        rows = {int(r[0]): r for r in cursor.fetchall()}
        for position, body, _ in entries(cursor, low, high):
            row = rows.get(position)
            if row is None:
                raise Problem(f"search index: entry {position} is missing from it")
            want = index_row(position, body)
            got = (_stored_time(row[1]), *[(v or "") for v in row[2:]])
            for name, a, b in zip(COLUMNS, got, want[1:], strict=True):
                if a != b:
                    raise Problem(
                        f"search index: entry {position} is listed with {name} "
                        f"{a!r}, its body says {b!r}"
                    )


def verify(
    verifier: str | Sequence[str],
    outside: merkle.Checkpoint | None = None,
    *,
    index: bool = True,
    workers: int | None = None,
    trusted: Sequence[tuple[str, merkle.Checkpoint]] = (),
) -> Result:
    """Verify every entry, node and checkpoint (each signed by one of ``verifier``: one key, or
    the log's keys across rotations); also ``outside``, a checkpoint kept elsewhere, and
    ``trusted``, checkpoints that did not come from the database (each with a label naming
    where it came from); and (``index``) the search index. ``workers`` processes check large
    logs (default: one per core)."""
    cursor = raw_cursor()
    walk = _Walk(cursor, {})
    kept = [("the kept checkpoint", outside)] if outside is not None else []
    try:
        roots = _checkpoints([verifier] if isinstance(verifier, str) else verifier)
        labels: dict[int, str] = {}
        for label, checkpoint in [*kept, *trusted]:
            known = roots.get(checkpoint.size)
            if known is not None and known != checkpoint.root:
                raise Problem(
                    f"{label} diverges at size {checkpoint.size}: signed root "
                    f"{checkpoint.root.hex()}, the database holds {known.hex()}"
                )
            roots.setdefault(checkpoint.size, checkpoint.root)
            labels.setdefault(checkpoint.size, label)
        walk = _Walk(cursor, roots, labels)
        for check in _checks(cursor, workers or os.cpu_count() or 1, sorted(roots)):
            walk.add(check)
        walk.finish()
        if index:
            check_index(cursor, walk.count)
    except Problem as exc:
        return Result(walk.count, walk.checked, str(exc))
    return Result(walk.count, walk.checked, None)
