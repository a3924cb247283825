"""Deciding withdrawal checks in batches (ISM 27-2, 27-3): one transaction for every check
waiting, each answered only once that transaction is committed (group commit).

:func:`decide_batch` is the one place a fast check is decided. It runs either in a thread of
the web process (:class:`ThreadDecider`) or in a decider process of its own, started by
``mamori serve`` (:func:`serve`), which the web workers reach over a Unix socket in the data
directory (:class:`RemoteDecider`). The process has a core to itself: no web request competes
with it for the interpreter, and there is only one writer however many web workers there are.
If it cannot be reached, a web process decides in its own thread; either way the monitor's lock
and journal in the database keep every process's decisions in one order (see
:mod:`mamori.custody.services.monitor`).

An answer is the rendered body of the endpoint's 200, or None: Django's endpoint must answer
(the body or the token is not what the fast path takes, or the check failed and rolled back).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import queue
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from django.db import connections, transaction
from pydantic import ValidationError

if TYPE_CHECKING:
    from mamori.accounts.models import ApiToken

__all__ = ["Check", "RemoteDecider", "ThreadDecider", "decide_batch", "serve"]

log = logging.getLogger("mamori.custody.decider")

#: At most this many checks are decided in one transaction.
MAX_BATCH = 256
#: When checks arrive faster than they are decided (the last batch held several), a decision
#: thread waits this long for more: one transaction, commit and wake-up serve them all.
GATHER = 0.0004
#: Past this many pages in SQLite's write-ahead log, the decider's checkpoint thread restarts it.
WAL_RESTART = 4096
_LENGTH = struct.Struct("!I")
_NUMBER = struct.Struct("!Q")


@dataclass
class Check:
    """A withdrawal check as received: the bearer secret, the raw body, the request id the
    answer carries, and the client's address (for the audit log)."""

    secret: str
    body: bytes
    request_id: str
    ip: str | None


def _decide_one(check: Check, tokens_seen: dict[str, ApiToken | None]) -> bytes | None:
    """Decide one check inside the batch's transaction. None: Django's endpoint answers it (the
    body or the token is not what the fast path takes); an exception: the check failed, and the
    transaction with it. ``tokens_seen`` holds the tokens this transaction has already looked
    up, by secret: a revocation committed while it runs is not seen by it either way."""
    from mamori.accounts.services import tokens
    from mamori.auditlog.context import acting
    from mamori.core.api import api
    from mamori.custody.api import CHECK_SCOPE, CheckIn, decided_check

    try:
        body = CheckIn.model_validate_json(check.body)
    except (ValidationError, ValueError):
        return None  # Django refuses it, saying what is wrong
    if body.at is not None and body.at.tzinfo is None:
        return None  # refused by the endpoint, saying why
    if check.secret in tokens_seen:
        token = tokens_seen[check.secret]
    else:
        token = tokens_seen[check.secret] = tokens.authenticate(check.secret)
    if token is None or CHECK_SCOPE not in token.scopes or token.created_by_id is not None:
        return None  # Django's endpoint answers (a person's token: their permissions checked)
    with acting(f"token:{token.prefix}", check.request_id, check.ip):
        out = decided_check(body, token)
    # the endpoint's renderer, on the fields its schema declares (a test compares the bytes)
    rendered: str = api.renderer.render(None, out, response_status=200)  # type: ignore[arg-type]
    return rendered.encode()


def _decide_alone(check: Check) -> bytes | None:
    """Decide ``check`` in a transaction of its own; None if it fails (logged)."""
    try:
        with transaction.atomic():
            return _decide_one(check, {})
    except Exception:
        log.exception("a check failed; Django's endpoint answers it")
        connections["default"].close()  # the next transaction starts on a fresh connection
        return None


def decide_batch(batch: list[Check]) -> list[bytes | None]:
    """Decide ``batch`` in one transaction: one commit for all its answers.

    A check that fails takes the transaction with it (no savepoint per check: two statements
    each that almost never matter); the batch is then decided again one check per transaction,
    so only the check that fails again is left to Django's endpoint. Nothing of the failed
    transaction was answered, and the monitor, seeing its last record missing, rebuilds its
    windows from the journal. After a failure the connection is closed, so the next
    transaction starts on a fresh one (otherwise it is kept: opening one costs more than a
    batch)."""
    if len(batch) == 1:
        return [_decide_alone(batch[0])]
    try:
        tokens_seen: dict[str, ApiToken | None] = {}
        with transaction.atomic():
            return [_decide_one(check, tokens_seen) for check in batch]
    except Exception:
        log.warning("a batch of %d checks failed; deciding them one by one", len(batch))
        connections["default"].close()
    return [_decide_alone(check) for check in batch]


class _Collector:
    """Python's cyclic garbage collector, paced for a process that holds the monitor.

    The monitor keeps every event of its windows in memory: millions of objects that live
    as long as the process. Left alone, the collector rescans them all whenever enough have
    been added, a pause that grows with them (0.57 s measured, mid-burst). Here they are
    moved out of its sight once a second (``gc.freeze`` after a collection of the young
    generations), so each collection sees only the last second's survivors. Garbage in
    reference cycles among frozen objects would be kept: a full collection reclaims it
    when the decider is idle (at most every :data:`FULL_EVERY` seconds)."""

    FREEZE_EVERY = 1.0
    FULL_EVERY = 600.0

    def __init__(self) -> None:
        self.frozen = self.full = time.monotonic()

    @staticmethod
    def load(work: Callable[[], object]) -> None:
        """Do ``work`` (the monitor's rebuild) with the collector off, then freeze."""
        gc.disable()
        try:
            work()
        finally:
            gc.enable()
            gc.freeze()

    def after_batch(self) -> None:
        """Freeze what has survived since the last second."""
        now = time.monotonic()
        if now - self.frozen >= self.FREEZE_EVERY:
            self.frozen = now
            gc.collect(1)
            gc.freeze()

    def when_idle(self) -> None:
        """A full collection, if one is due."""
        now = time.monotonic()
        if now - self.full >= self.FULL_EVERY:
            self.full = self.frozen = now
            gc.unfreeze()
            gc.collect()
            gc.freeze()


@dataclass
class _Waiting:
    check: Check
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[bytes | None]
    answer: bytes | None = field(default=None)


def _resolve(waiting: list[_Waiting]) -> None:
    for item in waiting:
        if not item.future.done():
            item.future.set_result(item.answer)


class ThreadDecider:
    """A decision thread in the web process: a batch of checks per transaction."""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="mamori-custody-decider")
        self.thread.daemon = True
        self.thread.start()

    async def decide(self, check: Check) -> bytes | None:
        """Return the answer to ``check``."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(check, loop, loop.create_future())
        self.queue.put(waiting)
        return await waiting.future

    def stop(self) -> None:
        """Finish what is queued, then end the thread (and its database connection)."""
        self.queue.put(None)
        self.thread.join()

    def _run(self) -> None:
        busy = False  # the last batch held several checks: more are probably on their way
        collector = _Collector()
        try:
            while True:
                try:
                    first = self.queue.get(timeout=0.5)
                except queue.Empty:
                    collector.when_idle()
                    continue
                if first is None:
                    break
                batch = [first]
                stop = self._gather(batch, GATHER if busy else 0.0)
                busy = len(batch) > 1
                for item, answer in zip(
                    batch, decide_batch([item.check for item in batch]), strict=True
                ):
                    item.answer = answer
                by_loop: dict[asyncio.AbstractEventLoop, list[_Waiting]] = {}
                for item in batch:
                    by_loop.setdefault(item.loop, []).append(item)
                for loop, items in by_loop.items():  # one wake-up of each event loop
                    loop.call_soon_threadsafe(_resolve, items)
                collector.after_batch()
                if stop:
                    break
        finally:
            connections.close_all()

    def _gather(self, batch: list[_Waiting], wait: float) -> bool:
        """Add what is queued to ``batch`` (waiting up to ``wait`` seconds for more); return
        whether the thread was asked to stop."""
        deadline = time.monotonic() + wait
        while len(batch) < MAX_BATCH:
            left = deadline - time.monotonic()
            try:
                item = self.queue.get(timeout=left) if left > 0 else self.queue.get_nowait()
            except queue.Empty:
                return False
            if item is None:
                return True
            batch.append(item)
        return False


# -- the decider process and its clients ------------------------------------------------------


def _request_frame(number: int, check: Check) -> bytes:
    head = orjson.dumps([number, check.secret, check.request_id, check.ip])
    payload = head + b"\x00" + check.body  # JSON never holds a raw NUL byte
    return _LENGTH.pack(len(payload)) + payload


def _answer_frame(number: int, answer: bytes | None) -> bytes:
    payload = _NUMBER.pack(number) + (b"\x01" + answer if answer is not None else b"\x00")
    return _LENGTH.pack(len(payload)) + payload


def _frames(buffer: bytearray) -> list[bytes]:
    """Take the complete frames off the front of ``buffer``."""
    frames = []
    while len(buffer) >= _LENGTH.size:
        (size,) = _LENGTH.unpack_from(buffer)
        if len(buffer) < _LENGTH.size + size:
            break
        frames.append(bytes(buffer[_LENGTH.size : _LENGTH.size + size]))
        del buffer[: _LENGTH.size + size]
    return frames


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


def _load_monitor() -> None:
    """Bring the monitor up to date with its journal (on a restart: rebuild its windows)."""
    from mamori.custody.services import monitor

    try:
        monitor.current()
    except Exception:  # the first check tries again, and Django answers if it fails
        log.exception("the custody monitor could not be loaded")
        connections["default"].close()


def _check_of(frame: bytes) -> tuple[int, Check]:
    """Return the number and the check a request frame carries (``ValueError`` if it is not
    one)."""
    head, _, body = frame.partition(b"\x00")
    number, secret, request_id, ip = orjson.loads(head)
    return int(number), Check(str(secret), body, str(request_id), ip)


def serve(
    path: Path, ready: threading.Event | None = None, stop: threading.Event | None = None
) -> None:
    """Decide the checks web workers send over the Unix socket at ``path`` until ``stop`` is
    set (a process simply runs until it is terminated): whatever arrived while a batch was
    being decided is the next batch. ``ready`` is set once the socket listens.

    The parent's id is read first: a server that died while the monitor loads must still be
    noticed (a decider started by the server is also bound to it from its first instruction,
    :func:`mamori.core.children.popen`)."""
    parent = os.getppid()
    stop = stop or threading.Event()
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    os.chmod(path, 0o600)  # only the account that runs mamori may ask
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    buffers: dict[socket.socket, bytearray] = {}
    checkpoints = _Checkpoints(stop)
    collector = _Collector()
    collector.load(_load_monitor)  # checks that arrive meanwhile wait in the socket's queue
    if ready is not None:
        ready.set()
    log.info("custody decider listening on %s", path)
    while not stop.is_set():
        if os.getppid() != parent:  # the server that started it is gone: so is its purpose
            log.warning("the server that started the custody decider is gone; stopping")
            stop.set()
            break
        checkpoints.restart_if_due()
        batch: list[tuple[socket.socket, int, Check]] = []
        timeout: float | None = 0.5  # wait for the first check; then take what else is there
        while len(batch) < MAX_BATCH:
            events = selector.select(timeout)
            if not events:
                if not batch:
                    collector.when_idle()
                break
            for key, _ in events:
                if key.fileobj is listener:
                    connection, _ = listener.accept()
                    connection.settimeout(5.0)  # a worker that stops reading is dropped
                    selector.register(connection, selectors.EVENT_READ)
                    buffers[connection] = bytearray()
                    continue
                connection = key.fileobj  # type: ignore[assignment]
                try:
                    data = connection.recv(1 << 16)
                    buffers[connection] += data
                    received = [
                        (connection, *_check_of(frame)) for frame in _frames(buffers[connection])
                    ]
                except (OSError, ValueError, TypeError) as exc:  # reset, or not our frames
                    log.warning("a web worker's connection ended: %s", exc or "closed")
                    data = b""
                if not data:
                    selector.unregister(connection)
                    connection.close()
                    buffers.pop(connection, None)
                    batch = [item for item in batch if item[0] is not connection]
                    continue
                batch.extend(received)
            timeout = 0
        if not batch:
            continue
        answers = decide_batch([check for _, _, check in batch])
        for (connection, number, _), answer in zip(batch, answers, strict=True):
            try:
                connection.sendall(_answer_frame(number, answer))
            except OSError:
                log.warning("a web worker left before its answer was sent")
        collector.after_batch()
    for connection in buffers:
        connection.close()
    selector.close()
    listener.close()
    path.unlink(missing_ok=True)
    connections.close_all()


class RemoteDecider:
    """A web worker's link to the decider process: checks sent over one connection, answers
    matched to them by number. Raises ``ConnectionError`` when the process cannot be reached
    (the worker then decides in a thread of its own)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: asyncio.StreamWriter | None = None
        self.waiting: dict[int, asyncio.Future[bytes | None]] = {}
        self.number = 0
        self.connecting = asyncio.Lock()
        self.reading: asyncio.Task[None] | None = None  # kept: the loop holds tasks weakly

    async def decide(self, check: Check) -> bytes | None:
        """Return the answer to ``check`` from the decider process."""
        writer = await self._writer()
        self.number += 1
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self.waiting[self.number] = future
        writer.write(_request_frame(self.number, check))
        return await future

    async def _writer(self) -> asyncio.StreamWriter:
        async with self.connecting:
            if self.writer is None or self.writer.is_closing():
                try:
                    reader, self.writer = await asyncio.open_unix_connection(str(self.path))
                except OSError as exc:
                    raise ConnectionError(f"custody decider at {self.path}: {exc}") from exc
                self.reading = asyncio.get_running_loop().create_task(self._read(reader))
            return self.writer

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                (size,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
                payload = await reader.readexactly(size)
                (number,) = _NUMBER.unpack_from(payload)
                future = self.waiting.pop(number, None)
                if future is not None and not future.done():
                    answered = payload[_NUMBER.size] == 1
                    future.set_result(payload[_NUMBER.size + 1 :] if answered else None)
        except (OSError, asyncio.IncompleteReadError) as exc:
            lost = ConnectionError(f"custody decider at {self.path} went away: {exc}")
            for future in self.waiting.values():
                if not future.done():
                    future.set_exception(lost)
            self.waiting.clear()
            if self.writer is not None:
                self.writer.close()
            self.writer = None

    def stop(self) -> None:
        """Close the connection (nothing to do if its event loop is already gone)."""
        if self.writer is not None:
            with suppress(RuntimeError):  # its loop has closed, and the connection with it
                self.writer.close()
            self.writer = None
