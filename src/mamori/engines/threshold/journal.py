"""The monitor's journal: every event and decision, appended and synced before acknowledging.

A decision is acknowledged only after the journal holding it is on disk (:meth:`Journal.commit`
writes the batch and calls ``fsync``: group commit). :meth:`Journal.commit_behind` hands the
batch to one writer thread instead, which writes and syncs batches in order while the monitor
decides the next ones (its future says when that batch may be acknowledged). After a crash,
:func:`replay` feeds the journal back through a fresh :class:`~.monitor.Monitor`; the monitor
is deterministic, so it reaches the same state and the same decisions, and a resent event gets
its first decision. A torn last line (the process died mid-write) is ignored: that batch was
never acknowledged. The file object is passed in, so this module does no I/O of its own
choosing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import IO, Any

import orjson

from mamori.engines.threshold.model import (
    Balance,
    Config,
    Decision,
    Deposit,
    Event,
    HaltOrder,
    HaltScope,
    Price,
    WithdrawalCancelled,
    WithdrawalRequest,
    WithdrawalSent,
)
from mamori.engines.threshold.monitor import Monitor, micros

__all__ = ["Journal", "checked_row", "event_row", "replay", "row_event", "unchecked_row"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LINE = orjson.OPT_APPEND_NEWLINE


def event_row(event: Event) -> list[Any]:
    """Return the compact journal row of ``event``: a type number and its fields in order;
    times as integer microseconds, amounts and prices as strings."""
    e: Any = event  # one branch per exact type, checked with ``type() is`` for speed
    kind = type(e)
    if kind is WithdrawalRequest:
        return [1, e.id, micros(e.at), e.customer, e.asset, str(e.amount), e.address]
    if kind is Deposit:
        return [0, e.id, micros(e.at), e.customer, e.asset, str(e.amount)]
    if kind is WithdrawalCancelled:
        return [2, e.id, micros(e.at), e.withdrawal]
    if kind is WithdrawalSent:
        return [3, e.id, micros(e.at), e.withdrawal, *([e.wallet] if e.wallet else [])]
    if kind is Price:
        return [4, e.id, micros(e.at), e.asset, str(e.jpy)]
    if kind is HaltOrder:
        return [6, e.id, micros(e.at), str(e.scope), e.key, e.source, e.reason]
    return [5, e.id, micros(e.at), e.wallet, e.asset, str(e.amount)]


def row_event(row: list[Any]) -> Event:
    """Rebuild the event of an :func:`event_row` row."""
    kind, event_id, at = row[0], row[1], _EPOCH + timedelta(microseconds=row[2])
    if kind == 1:
        return WithdrawalRequest(event_id, at, row[3], row[4], int(row[5]), row[6])
    if kind == 0:
        return Deposit(event_id, at, row[3], row[4], int(row[5]))
    if kind == 2:
        return WithdrawalCancelled(event_id, at, row[3])
    if kind == 3:
        return WithdrawalSent(event_id, at, row[3], row[4] if len(row) > 4 else "")
    if kind == 4:
        return Price(event_id, at, row[3], Decimal(row[4]))
    if kind == 6:
        return HaltOrder(event_id, at, HaltScope(row[3]), row[4], row[5], row[6])
    return Balance(event_id, at, row[3], row[4], int(row[5]))


def checked_row(event: Event, now: datetime | None = None) -> list[Any]:
    """Return the journal row of ``event`` with the ``now`` it was checked against, if any
    (marked by adding 10 to the type number and appending ``now`` in microseconds)."""
    row = event_row(event)
    if now is not None:
        row = [row[0] + 10, *row[1:], micros(now)]
    return row


def unchecked_row(row: list[Any]) -> tuple[Event, datetime | None]:
    """Return the event and the ``now`` of a :func:`checked_row` row."""
    if row[0] >= 10:
        return row_event([row[0] - 10, *row[1:-1]]), _EPOCH + timedelta(microseconds=row[-1])
    return row_event(row), None


class Journal:
    """An append-only journal of rows: an event row (type number, id, time in microseconds,
    fields; optionally the ``now`` it was checked against) or ``[9, halt id]`` for a lifted
    halt. Each commit writes one line, the JSON array of its rows (one ``orjson`` call per
    batch instead of per row: a third of the journal's cost per event, measured), and syncs
    it. A line holding a single row is read too."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self._rows: list[list[Any]] = []  # the rows of the next commit
        self._writer: ThreadPoolExecutor | None = None  # started by the first commit_behind
        self._behind: list[Future[int]] = []
        self._handed = 0  # rows handed to the writer since the last commit

    def event(self, event: Event, now: datetime | None = None) -> None:
        """Add a processed event (and the ``now`` it was checked against) to the next commit."""
        self._rows.append(checked_row(event, now))

    def lift(self, halt_id: str) -> None:
        """Add a lifted halt to the next commit."""
        self._rows.append([9, halt_id])

    def commit(self) -> int:
        """Write and fsync what was added, after every batch handed to the writer thread;
        return how many rows became durable since the last :meth:`commit`."""
        for future in self._behind:
            future.result()  # a failed write raises here
        self._behind.clear()
        if self._writer is not None:
            self._writer.shutdown()
            self._writer = None
        count, self._handed = self._handed, 0
        if self._rows:
            count += self._write(*self._take())
        return count

    def commit_behind(self) -> Future[int]:
        """Hand what was added to the writer thread, which writes and fsyncs the batches in
        the order they were handed; return the future of this batch (how many rows), done
        once it is on disk. A failed earlier write raises here."""
        kept = []
        for earlier in self._behind:
            if earlier.done():
                earlier.result()
            else:
                kept.append(earlier)
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="mamori-journal")
        data, count = self._take()
        future = self._writer.submit(self._write, data, count)
        self._handed += count
        self._behind = [*kept, future]
        return future

    def _take(self) -> tuple[bytes, int]:
        """Return the line of the pending rows and their number, and start anew."""
        rows = self._rows
        if not rows:
            return b"", 0
        self._rows = []
        return orjson.dumps(rows, option=_LINE), len(rows)

    def _write(self, data: bytes, count: int) -> int:
        if count:
            self._file.write(data)
            self._file.flush()
            os.fsync(self._file.fileno())
        return count


def _lines(raw: Iterable[bytes]) -> Iterator[list[Any]]:
    for line in raw:
        if not line.endswith(b"\n"):
            return  # torn tail: never acknowledged
        rows = orjson.loads(line)
        if rows and type(rows[0]) is list:  # a commit's rows
            yield from rows
        else:  # a single row
            yield rows


def replay(config: Config, raw: Iterable[bytes]) -> tuple[Monitor, list[Decision]]:
    """Rebuild a monitor from journal lines; return it and the decisions it re-made."""
    monitor = Monitor(config)
    decisions = []
    for row in _lines(raw):
        if row[0] == 9:
            monitor.lift(row[1])
            continue
        decisions.append(monitor.process(*unchecked_row(row)))
    return monitor, decisions
