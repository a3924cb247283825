"""Deciding withdrawal checks in batches (ISM 27-2, 27-3): one transaction for every check
waiting, each answered only once that transaction is committed (group commit).

:func:`decide_batch` is the one place a fast check is decided. It runs either in a thread of
the web process (:class:`ThreadDecider`, where no decider process is configured) or in the
leading decider process (:mod:`mamori.custody.fastpath.decider`); either way the monitor's lock
and journal in the database keep every process's decisions in one order (see
:mod:`mamori.custody.services.monitor`).

An answer is the rendered body of the endpoint's 200, or None: Django's endpoint must answer
(the body or the token is not what the fast path takes, or the check failed and rolled back).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connections, transaction
from pydantic import ValidationError

from mamori.auditlog.services import appended_together
from mamori.custody.fastpath.wire import Check
from mamori.custody.services import monitor

if TYPE_CHECKING:
    from mamori.accounts.models import ApiToken

__all__ = ["Check", "Collector", "ThreadDecider", "decide_batch"]

log = logging.getLogger("mamori.custody.decider")

#: At most this many checks are decided in one transaction.
MAX_BATCH = 256
#: When checks arrive faster than they are decided (the last batch held several), a decision
#: thread waits this long for more: one transaction, commit and wake-up serve them all.
GATHER = 0.0004


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


def decide_batch(
    batch: list[Check], lead: Callable[[], bool] | None = None
) -> list[bytes | None] | None:
    """Decide ``batch`` in one transaction: one commit for all its answers.

    A check that fails takes the transaction with it (no savepoint per check: two statements
    each that almost never matter); the batch is then decided again one check per transaction,
    so only the check that fails again is left to Django's endpoint. Nothing of the failed
    transaction was answered, and the monitor, seeing its last record missing, rebuilds its
    windows from the journal. After a failure the connection is closed, so the next
    transaction starts on a fresh one (otherwise it is kept: opening one costs more than a
    batch).

    ``lead``, in a decider process, is asked before every transaction whether this process
    leads on the connection it is about to use (retaking the lease on a fresh connection if it
    can; see :mod:`mamori.custody.fastpath.lease`). If it does not, nothing more is decided
    and None is returned: the checks not answered yet are for the leader."""
    if lead is not None and not lead():
        return None
    if len(batch) == 1:
        return [_decide_alone(batch[0])]
    try:
        tokens_seen: dict[str, ApiToken | None] = {}
        with transaction.atomic(), monitor.batch_lock(), appended_together():
            return [_decide_one(check, tokens_seen) for check in batch]
    except Exception:
        log.warning("a batch of %d checks failed; deciding them one by one", len(batch))
        connections["default"].close()
    answers: list[bytes | None] = []
    for check in batch:
        if lead is not None and not lead():
            return None  # those decided so far are resends to the leader: the same answers
        answers.append(_decide_alone(check))
    return answers


class Collector:
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
        collector = Collector()
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
                answers = decide_batch([item.check for item in batch])
                assert answers is not None  # a thread of the web process always decides
                for item, answer in zip(batch, answers, strict=True):
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
