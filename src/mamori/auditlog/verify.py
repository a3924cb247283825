"""Recompute the whole log and check it against every stored checkpoint (ISM 23-1-2).

Reports the first problem exactly: the entry position (changed, missing, moved) or the
checkpoint (foreign signature, size going backwards, root that does not match, truncation).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from mamori.auditlog.models import Checkpoint
from mamori.auditlog.store import raw_cursor, sql
from mamori.engines import merkle

__all__ = ["Problem", "Result", "verify"]

BATCH = 20_000
COLUMNS = ("actor", "action", "object_type", "object_id", "request_id")


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


def _rows(cursor: Any) -> Iterator[tuple[Any, ...]]:
    last = -1
    while True:
        cursor.execute(
            sql(
                "SELECT position, body, actor, action, object_type, object_id, request_id "
                "FROM auditlog_entry WHERE position > %s ORDER BY position LIMIT %s"
            ),
            (last, BATCH),
        )
        rows = cursor.fetchall()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def _stored_nodes(cursor: Any, level: int, first: int, last: int) -> dict[int, bytes]:
    cursor.execute(
        sql(
            "SELECT position, hash FROM auditlog_node "
            "WHERE level = %s AND position BETWEEN %s AND %s"
        ),
        (level, first, last),
    )
    return {int(position): bytes(value) for position, value in cursor.fetchall()}


def _check_nodes(cursor: Any, emitted: list[tuple[int, int, bytes]]) -> None:
    by_level: dict[int, list[tuple[int, bytes]]] = {}
    for level, position, value in emitted:
        by_level.setdefault(level, []).append((position, value))
    for level, items in sorted(by_level.items()):
        stored = _stored_nodes(cursor, level, items[0][0], items[-1][0])
        for position, value in items:
            got = stored.get(position)
            if got == value:
                continue
            shown = got.hex() if got else "missing"
            if level == 0:
                raise Problem(
                    f"entry {position}: leaf hash expected {shown}, got {value.hex()} "
                    "(the entry was changed)"
                )
            first, last = position << level, ((position + 1) << level) - 1
            raise Problem(
                f"entries {first}–{last}: stored tree node {level}/{position} is {shown}, "
                f"recomputed {value.hex()} (an entry and its leaf hash were both changed)"
            )


def _check_entry(row: tuple[Any, ...], expected: int) -> bytes:
    position, body = row[0], row[1]
    if position != expected:
        raise Problem(f"entry {expected} is missing (the next stored entry is {position})")
    raw = body.encode("utf-8")
    leaf = merkle.leaf_hash(raw)  # compared with the stored leaf (node 0/position) in batches
    parsed = orjson.loads(raw)
    if parsed.get("index") != position:
        raise Problem(f"entry {position}: its body says index {parsed.get('index')} (moved)")
    obj = parsed.get("object") or {}
    said = (
        parsed.get("actor"),
        parsed.get("action"),
        obj.get("type", ""),
        obj.get("id", ""),
        parsed.get("request_id") or "",
    )
    for name, column, value in zip(COLUMNS, row[2:], said, strict=True):
        if (column or "") != (value or ""):
            raise Problem(f"entry {position}: column {name} is {column!r}, its body says {value!r}")
    return leaf


def _checkpoints(verifier: str) -> dict[int, bytes]:
    roots: dict[int, bytes] = {}
    previous: Checkpoint | None = None
    for row in Checkpoint.objects.order_by("issued_at", "size"):
        try:
            signed = merkle.parse_checkpoint(row.note, verifier)
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


def verify(verifier: str, outside: merkle.Checkpoint | None = None) -> Result:
    """Verify every entry, node and checkpoint; also ``outside``, a checkpoint kept elsewhere."""
    cursor = raw_cursor()
    count, checked = 0, 0
    try:
        roots = _checkpoints(verifier)
        if outside is not None:
            known = roots.get(outside.size)
            if known is not None and known != outside.root:
                raise Problem(f"the kept checkpoint at size {outside.size} has another root")
            roots.setdefault(outside.size, outside.root)
        frontier = merkle.Frontier()
        emitted: list[tuple[int, int, bytes]] = []
        for row in _rows(cursor):
            try:
                leaf = _check_entry(row, count)
            except Problem:
                _check_nodes(cursor, emitted)  # an earlier entry may be the first bad one
                raise
            emitted.extend(frontier.append(leaf))
            count += 1
            if count in roots:
                _check_nodes(cursor, emitted)  # name the exact entry before the root differs
                emitted = []
                checked += 1
                got = frontier.root()
                if got != roots[count]:
                    raise Problem(
                        f"checkpoint {count}: root expected {roots[count].hex()}, got {got.hex()}"
                    )
            if len(emitted) >= BATCH:
                _check_nodes(cursor, emitted)
                emitted = []
        if emitted:
            _check_nodes(cursor, emitted)
        beyond = [size for size in roots if size > count]
        if beyond:
            raise Problem(
                f"the log holds {count} entries but checkpoint {max(beyond)} was signed: "
                "entries were removed from the end"
            )
    except Problem as exc:
        return Result(count, checked, str(exc))
    return Result(count, checked, None)
