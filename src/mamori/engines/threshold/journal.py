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
from datetime import datetime
from typing import IO, Any

import orjson

from mamori.engines.threshold.codec import (
    checked_row,
    event_row,
    narrow,
    row_event,
    unchecked_row,
)
from mamori.engines.threshold.decision import Decision
from mamori.engines.threshold.model import Config, Event
from mamori.engines.threshold.monitor import Monitor

__all__ = ["Journal", "checked_row", "event_row", "replay", "row_event", "unchecked_row"]

_LINE = orjson.OPT_APPEND_NEWLINE


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

    @property
    def rows(self) -> list[list[Any]]:
        """The rows of the next commit: the same list for the journal's life, so it can be
        handed to :meth:`~.monitor.Monitor.process` once, to journal what it decides."""
        return self._rows

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
        """Return the line of the pending rows and their number, and empty the list."""
        rows = self._rows
        if not rows:
            return b"", 0
        try:
            data = orjson.dumps(rows, option=_LINE)
        except orjson.JSONEncodeError:  # an amount wider than 64 bits: written as its digits
            data = orjson.dumps([narrow(row) for row in rows], option=_LINE)
        count = len(rows)
        rows.clear()
        return data, count

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
