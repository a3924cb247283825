"""The custody decider process (ISM 27-2, 27-3): every withdrawal check the web workers send is
decided here, by the one decider that holds the lease; the others stand by, ready to take over.

``mamori serve`` starts deciders beside its web workers (two by default: a leader and a
standby), and more can run on other machines (``mamori custody decider --listen ADDRESS``); the
web workers reach them over :mod:`mamori.custody.fastpath.wire`. Each decider keeps the monitor
in memory, up to date with the journal; a standby polls for the lease
(:mod:`mamori.custody.fastpath.lease`) every :data:`POLL` seconds and, when the leader is gone,
takes it, reads the journal records it has not seen and decides. A decision is committed only
on the connection that holds the lease, so two deciders never both decide; whatever answer a
dead leader could not send is asked again of the new one, which answers with the first
decision (a check is decided once by its request id).

The process ends when the process that started it ends (its parent's id is read first thing,
before the monitor is loaded).
"""

from __future__ import annotations

import logging
import os
import selectors
import socket
import threading
import time
from pathlib import Path

from django.db import connections

from mamori.custody.fastpath import lease as leases
from mamori.custody.fastpath.batches import MAX_BATCH, Check, Collector, decide_batch
from mamori.custody.fastpath.wire import (
    ANSWERED,
    STANDBY,
    TO_DJANGO,
    Address,
    answer_frame,
    check_of,
    frames,
    listen,
    parse_address,
)

__all__ = ["Leadership", "serve"]

log = logging.getLogger("mamori.custody.decider")

#: Past this many pages in SQLite's write-ahead log, the decider's checkpoint thread restarts it.
WAL_RESTART = 4096
#: How often a standby asks for the lease (and so, at most, how long the lease lies free).
POLL = 0.1
#: How often a standby reads the journal records the leader wrote, to stay ready.
WARM_EVERY = 0.5


class _Checkpoints:
    """On SQLite, the write-ahead log's checkpoints kept off the decision path.

    The decider's connection never checkpoints on its own: SQLite would make the commit that
    crosses 1,000 pages copy them into the database and sync it, a pause of tens of
    milliseconds. A thread copies the log into the database four times a second without
    blocking anyone (PASSIVE). Because the decider keeps writing meanwhile, the log is seldom
    wholly copied when a write begins (the moment SQLite starts it over), so past
    :data:`WAL_RESTART` pages the thread asks the decider, between two batches, to restart it
    (:meth:`restart_if_due`): the decider then copies only the pages written since the
    thread's last pass. The restart is the decider's own, on its own connection, never
    concurrent with the thread's pass: a restart from another thread would hold the log's
    write lock while it waits, in SQLite's busy handler, for the decider's read to end — a
    stall of hundreds of milliseconds, measured. A long log would slow every read."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.lock = threading.Lock()  # one checkpoint at a time
        self.due = threading.Event()
        self.thread: threading.Thread | None = None
        if connections["default"].vendor != "sqlite":
            return  # nothing to do: the thread never asks for a restart
        with connections["default"].cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        self.thread = threading.Thread(
            target=self._copy, name="mamori-decider-checkpoint", daemon=True
        )
        self.thread.start()

    def _copy(self) -> None:
        while not self.stop.wait(0.25):
            try:
                with self.lock, connections["default"].cursor() as cursor:
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    _, pages, _ = cursor.fetchone()
                if pages > WAL_RESTART:
                    self.due.set()
            except Exception:  # retried at the next turn
                log.exception("checkpoint of the write-ahead log failed")
                connections["default"].close()
        connections.close_all()

    def restart_if_due(self) -> None:
        """In the decider's thread, between batches: restart the log if the thread asked."""
        if not self.due.is_set():
            return
        self.due.clear()
        try:
            with self.lock, connections["default"].cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(RESTART)")
        except Exception:  # asked again at the thread's next pass
            log.exception("restart of the write-ahead log failed")
            connections["default"].close()


class Leadership:
    """This process's part in the lease: leading (and under which term) or standing by."""

    def __init__(self, lease: leases.Lease) -> None:
        self.lease = lease
        self.term: int | None = None

    @property
    def leading(self) -> bool:
        """Whether this process led at its last look (see :meth:`lead`)."""
        return self.term is not None

    def lead(self) -> bool:
        """Make sure this process leads on the connection it decides on: still holding the
        lease, or taking it now if it is free. False: another decider leads."""
        from mamori.custody.services import monitor

        if self.term is not None and self.lease.held():
            return True
        if self.term is not None:
            log.warning(
                "custody decider lost the lease of term %s (its connection ended)", self.term
            )
            self.term = None
            monitor.lead_as(None)
        try:
            term = self.lease.try_acquire()
        except Exception:  # the database cannot be reached: asked again at the next poll
            log.exception("custody decider could not ask for the lease")
            connections["default"].close()
            return False
        if term is None:
            return False
        self.term = term
        monitor.lead_as(term)
        log.warning("custody decider leads (term %s)", term)
        return True

    def release(self) -> None:
        """Step down (a stopping decider)."""
        from mamori.custody.services import monitor

        self.lease.release()
        self.term = None
        monitor.lead_as(None)


def _load_monitor() -> None:
    """Bring the monitor up to date with its journal (on a restart: rebuild its windows)."""
    from mamori.custody.services import monitor

    try:
        monitor.current()
    except Exception:  # the first check tries again, and Django answers if it fails
        log.exception("the custody monitor could not be loaded")
        connections["default"].close()


class _Connections:
    """The web workers' connections to this decider, and what each has sent so far."""

    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ)
        self.buffers: dict[socket.socket, bytearray] = {}

    def receive(self, timeout: float) -> list[tuple[socket.socket, int, Check]]:
        """Wait up to ``timeout`` for the first check; then take what else is there."""
        batch: list[tuple[socket.socket, int, Check]] = []
        wait: float | None = timeout
        while len(batch) < MAX_BATCH:
            events = self.selector.select(wait)
            if not events:
                break
            for key, _ in events:
                if key.fileobj is self.listener:
                    self._accept()
                    continue
                connection: socket.socket = key.fileobj  # type: ignore[assignment]
                received = self._read(connection)
                if received is None:
                    batch = [item for item in batch if item[0] is not connection]
                else:
                    batch.extend(received)
            wait = 0
        return batch

    def _accept(self) -> None:
        connection, _ = self.listener.accept()
        connection.settimeout(5.0)  # a worker that stops reading is dropped
        self.selector.register(connection, selectors.EVENT_READ)
        self.buffers[connection] = bytearray()

    def _read(self, connection: socket.socket) -> list[tuple[socket.socket, int, Check]] | None:
        """The checks ``connection`` completed; None if it ended (it is then closed)."""
        try:
            data = connection.recv(1 << 16)
            self.buffers[connection] += data
            received = [
                (connection, *check_of(frame)) for frame in frames(self.buffers[connection])
            ]
        except (OSError, ValueError, TypeError) as exc:  # reset, or not our frames
            log.warning("a web worker's connection ended: %s", exc or "closed")
            data = b""
        if not data:
            self.selector.unregister(connection)
            connection.close()
            self.buffers.pop(connection, None)
            return None
        return received

    @staticmethod
    def send(connection: socket.socket, frame: bytes) -> None:
        try:
            connection.sendall(frame)
        except OSError:
            log.warning("a web worker left before its answer was sent")

    def close(self) -> None:
        for connection in self.buffers:
            connection.close()
        self.selector.close()
        self.listener.close()


def serve(
    address: Address | Path | str,
    ready: threading.Event | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Decide the checks web workers send to ``address`` while this process leads; stand by
    (answering :data:`~mamori.custody.fastpath.wire.STANDBY`) while another does; until
    ``stop`` is set or the process that started this one is gone. ``ready`` is set once the
    socket listens and the monitor is loaded."""
    parent = os.getppid()  # first: a server that dies during the load is noticed
    stop = stop or threading.Event()
    if not isinstance(address, Address):
        address = parse_address(str(address))
    checkpoints = _Checkpoints(stop)
    collector = Collector()
    collector.load(_load_monitor)
    # listening only now: while it loads, a decider refuses connections and the web workers
    # ask the others at once (accepted, a check would wait here for the whole load)
    links = _Connections(listen(address))
    leadership = Leadership(leases.for_database(str(address)))
    leadership.lead()
    warmed = asked = time.monotonic()
    if ready is not None:
        ready.set()
    log.info("custody decider listening on %s", address)
    try:
        while not stop.is_set():
            if os.getppid() != parent:  # the server that started it is gone: so is its purpose
                log.warning("the server that started the custody decider is gone; stopping")
                break
            now = time.monotonic()
            if leadership.leading:
                checkpoints.restart_if_due()
            elif now - asked >= POLL:
                asked = now
                if not leadership.lead() and now - warmed >= WARM_EVERY:
                    warmed = now
                    _load_monitor()  # ready to take over: the journal read as it grows
            batch = links.receive(0.5 if leadership.leading else POLL)
            if not batch:
                if leadership.leading:
                    collector.when_idle()
                continue
            answers = decide_batch([check for _, _, check in batch], leadership.lead)
            for index, (connection, number, _) in enumerate(batch):
                if answers is None:
                    frame = answer_frame(number, STANDBY)
                elif answers[index] is None:
                    frame = answer_frame(number, TO_DJANGO)
                else:
                    frame = answer_frame(number, ANSWERED, answers[index])
                links.send(connection, frame)
            collector.after_batch()
    finally:
        leadership.release()
        links.close()
        if address.kind == "unix":
            Path(address.where).unlink(missing_ok=True)
        connections.close_all()
