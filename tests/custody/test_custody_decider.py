"""What keeps the custody decider's answers quick under sustained load: its write-ahead log
started over between batches, and the garbage collector kept off the monitor's windows."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from pathlib import Path

import pytest
from django.db import connection, transaction

from mamori.custody.fastpath import batches, decider


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_write_ahead_log_is_started_over_between_batches(monkeypatch) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    wal = Path(connection.settings_dict["NAME"] + "-wal")

    def empty_the_log() -> None:
        """Truncate the log, again while another connection's checkpoint keeps it busy."""
        for _ in range(200):
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy, _, _ = cursor.fetchone()
            if not busy and wal.stat().st_size == 0:
                return
            time.sleep(0.05)
        pytest.fail("the write-ahead log could not be emptied before the burst")

    def log_size_after_a_burst(restart_past: int) -> int:
        """The log's size after 3,000 batches back to back, as under sustained load."""
        monkeypatch.setattr(decider, "WAL_RESTART", restart_past)
        empty_the_log()
        stop = threading.Event()
        checkpoints = decider._Checkpoints(stop)
        try:
            for _ in range(3000):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO decider_probe VALUES (randomblob(200))", [()] * 20
                    )
                checkpoints.restart_if_due()
                time.sleep(0.0005)
        finally:
            stop.set()
            if checkpoints.thread is not None:
                checkpoints.thread.join(10)
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_autocheckpoint=1000")
        return wal.stat().st_size

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE decider_probe (payload BLOB)")
    try:
        never = log_size_after_a_burst(10**9)
        started_over = log_size_after_a_burst(32)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE decider_probe")
    # never started over, the log holds every batch; started over, what was written since
    # the thread's last pass (a quarter of a second's worth)
    assert started_over < never / 4, (started_over, never)


def test_the_collector_keeps_survivors_out_of_sight_and_reclaims_their_cycles_when_idle() -> None:
    class Node:
        pass

    collector = batches.Collector()
    collector.FREEZE_EVERY = 0.0
    try:
        before = gc.get_freeze_count()
        kept = [[n] for n in range(5000)]  # the windows' events: long-lived
        collector.after_batch()
        assert gc.get_freeze_count() >= before + len(kept)

        cycle = Node()
        cycle.itself = cycle  # type: ignore[attr-defined]
        gone = weakref.ref(cycle)
        collector.after_batch()  # frozen, then garbage
        del cycle
        gc.collect()
        assert gone() is not None  # out of the collector's sight

        collector.when_idle()  # not due yet: nothing changes
        assert gone() is not None
        collector.FULL_EVERY = 0.0
        collector.when_idle()
        assert gone() is None  # reclaimed while idle
        assert gc.get_freeze_count() >= len(kept)  # and the survivors frozen again
    finally:
        gc.unfreeze()
