"""The monitor as a service: one decision point shared by every process (ISM 27-2, 27-3).

Each process keeps a :class:`~mamori.engines.threshold.Monitor` in memory and the database
keeps its journal (:class:`~mamori.custody.models.MonitorRecord`). To decide, a process takes
the monitor lock (PostgreSQL advisory lock; SQLite's write lock), first applies the records
other processes wrote since it last looked, decides, and writes its record in the same
transaction — so a decision exists once it is committed, every process sees the same
sequence, and after a crash the journal rebuilds exactly the same state. If a transaction
rolls back after the monitor changed in memory, the next call notices the missing record and
rebuilds from the journal.

A journal record that cannot be loaded (written before the edge refused such events, or
altered by hand) does not stop the monitor: it is set aside — logged, told at once to the
asset's responsible people — and the withdrawals of its asset (of every asset, if the record
names none) are refused with the reason ``journal_quarantined`` until it is repaired and the
journal reloaded. Other assets are decided as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from mamori.custody import bounds
from mamori.custody.fastpath import fastdb
from mamori.custody.models import Asset, MonitorRecord, ThresholdRule
from mamori.engines import threshold as engine

__all__ = [
    "EVERY_ASSET",
    "QUARANTINED",
    "Listener",
    "apply_thresholds",
    "batch_lock",
    "current",
    "decide",
    "engine_config",
    "hold_outcome",
    "lead_as",
    "lift",
    "listen",
    "quarantined",
    "reset",
    "rule_data",
    "told_in_batch",
]

log = logging.getLogger("mamori.custody")
LOCK_KEY = 0x6D616D6F72695F63  # "mamori_c"
_LOCK = threading.RLock()  # re-entered by on-commit hooks that read the monitor
#: The reason code of a withdrawal refused because its asset's journal holds a record that
#: could not be loaded.
QUARANTINED = "journal_quarantined"
#: The asset of a set-aside record that names none (a configuration, a lift): every asset.
EVERY_ASSET = "*"
#: Refusals for an event's time alone (not journalled since issue 30).
_TIME_CODES = frozenset({"late", "future", "bad_time"})


@dataclass
class _Held:
    monitor: engine.Monitor | None = None
    seq: int = 0
    pending: int | None = None
    #: The pending record's event id and time of writing: on SQLite a rolled-back record's
    #: number is given to the next record written, perhaps by another process
    pending_record: tuple[str, datetime] | None = None
    #: Where ``pending`` was written: the transaction's outermost block and the savepoints
    #: then open (see :func:`_still_written`).
    written_in: tuple[object, list[str]] | None = None
    #: Journal records that could not be loaded: record number → the asset whose withdrawals
    #: they stop (:data:`EVERY_ASSET` if the record names none).
    quarantined: dict[int, str] = field(default_factory=dict)
    #: Set-aside records whose alert is not known to be committed (told again until it is).
    untold: dict[int, str] = field(default_factory=dict)


_HELD = _Held()
#: The lease term under which this thread decides, if it is the leading custody decider's
#: (:mod:`mamori.custody.fastpath.lease`): written on each of its journal records.
_TERM = threading.local()


def lead_as(term: int | None) -> None:
    """Mark the records this thread writes from now on as decided under ``term`` (None: not
    a leading decider's)."""
    _TERM.value = term


#: The read every decision makes, built once (mamori.custody.fastpath.fastdb): the journal
#: from a record on, a page at a time.
_PAGE = 1000
_FROM: fastdb.Prepared[MonitorRecord] = fastdb.Prepared(
    lambda first: MonitorRecord.objects.filter(pk__gte=first).order_by("pk")[:_PAGE], -6962_2702
)


def reset() -> None:
    """Forget the in-memory monitor (the next call rebuilds it from the journal)."""
    _HELD.monitor, _HELD.seq = None, 0
    _HELD.quarantined, _HELD.untold = {}, {}
    _confirmed()


def quarantined() -> dict[int, str]:
    """Return the journal records set aside since the monitor was loaded: record number →
    the asset whose withdrawals they stop (:data:`EVERY_ASSET`: all)."""
    return dict(_HELD.quarantined)


def _confirmed() -> None:
    """Forget the pending record: it is known to be committed (or the monitor is reset)."""
    _HELD.pending = _HELD.pending_record = _HELD.written_in = None


def _where(db: Any) -> tuple[object, list[str]]:
    """Return the open transaction's outermost block and its open savepoints, in order."""
    return db.atomic_blocks[0], [sid for sid in db.savepoint_ids if sid is not None]


def _still_written() -> bool:
    """Return whether this process's last record is certainly in the journal as this
    transaction sees it, and nothing after it: it was written in this same transaction and
    no savepoint open at the time has ended since (a savepoint's id is never used again).

    The transaction has held the monitor lock since that write (PostgreSQL's advisory lock
    and SQLite's write lock last until it ends), so no other process can have added to the
    journal: a batch's second and later checks need not read it (:func:`_catch_up`)."""
    written_in = _HELD.written_in
    if written_in is None or _HELD.pending is None or _HELD.monitor is None:
        return False
    db = connections[DEFAULT_DB_ALIAS]
    if not db.in_atomic_block or db.needs_rollback:
        return False
    block, savepoints = _where(db)
    return block is written_in[0] and savepoints[: len(written_in[1])] == written_in[1]


def rule_data(rule: ThresholdRule) -> dict[str, Any]:
    """Return ``rule`` as a configuration record holds it (limits as decimal strings)."""
    return {
        "code": rule.code,
        "direction": rule.direction,
        "scope": rule.scope,
        "level": rule.level,
        "asset": rule.asset.code if rule.asset else None,
        "limit_units": str(int(rule.limit_units)) if rule.limit_units is not None else None,
        "limit_jpy": str(rule.limit_jpy) if rule.limit_jpy is not None else None,
        "window": rule.window_seconds,
        "halt_scope": rule.halt_scope or None,
        "halt_expiry_minutes": rule.halt_expiry_minutes or None,
    }


def engine_config(data: dict[str, Any]) -> engine.Config:
    """Build the engine's configuration from a config record (raises ``ConfigError``); a
    record written before deposits had a confirmation delay takes the engine's default."""
    delay = data.get("deposit_delay_hours")
    bounds_of: dict[str, Any] = {} if delay is None else {"deposit_delay": timedelta(hours=delay)}
    return engine.Config(
        tuple(engine.Asset(code, decimals) for code, decimals in data["assets"]),
        tuple(
            engine.Rule(
                r["code"],
                engine.Direction(r["direction"]),
                engine.Scope(r["scope"]),
                engine.Level(r["level"]),
                r["asset"],
                int(r["limit_units"]) if r["limit_units"] is not None else None,
                Decimal(r["limit_jpy"]) if r["limit_jpy"] is not None else None,
                timedelta(seconds=r["window"]) if r["window"] else None,
                engine.HaltScope(r["halt_scope"]) if r.get("halt_scope") else None,
                (
                    timedelta(minutes=r["halt_expiry_minutes"])
                    if r.get("halt_expiry_minutes")
                    else None
                ),
            )
            for r in data["rules"]
        ),
        **bounds_of,
    )


def _db_lock() -> None:
    """Take the monitor lock for the rest of the transaction (PostgreSQL's advisory lock;
    SQLite's write lock comes with the first write) — unless the transaction already holds it
    from its start (:func:`batch_lock`)."""
    if connection.vendor == "postgresql" and not getattr(_BATCH, "locked", False):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


_BATCH = threading.local()


@contextmanager
def batch_lock() -> Iterator[None]:
    """Hold the monitor lock for the whole transaction just begun (a batch of checks decided
    in one transaction asks for it once, not once per check). Enter it first thing inside the
    transaction's outermost ``atomic`` block: a lock taken there is the transaction's own, and
    no savepoint rolled back later can free it."""
    _db_lock()
    _BATCH.locked, _BATCH.told = True, set()
    try:
        yield
    finally:
        _BATCH.locked, _BATCH.told = False, None


def told_in_batch() -> set[str] | None:
    """Inside :func:`batch_lock`: the notification topics this batch has already found told
    (or told), so that each is looked up once per batch; None outside a batch."""
    told: set[str] | None = getattr(_BATCH, "told", None)
    return told


def _apply(monitor: engine.Monitor | None, record: MonitorRecord) -> engine.Monitor:
    if record.kind == MonitorRecord.Kind.CONFIG:
        config = engine_config(record.row)
        if monitor is None:
            return engine.Monitor(config)
        monitor.reconfigure(config)
        return monitor
    if monitor is None:
        monitor = engine.Monitor(engine.Config((), ()))
    if record.kind == MonitorRecord.Kind.LIFT:
        monitor.halts.pop(record.row["halt"], None)
        return monitor
    event, now = engine.unchecked_row(record.row)
    first = record.reasons[0] if record.action == "reject" and record.reasons else {}
    if isinstance(first, dict) and first.get("code") in _TIME_CODES:
        # journalled before a refusal for its time alone stopped keeping the id: kept
        # as it was answered, whatever the lateness rules are now
        monitor.keep_refusal(event, str(first["code"]), str(first.get("message", "")))
        return monitor
    monitor.process(event, now)
    return monitor


def _load(monitor: engine.Monitor | None, record: MonitorRecord) -> engine.Monitor | None:
    """Apply ``record``; if it cannot be loaded, set it aside instead of failing the whole
    monitor (every process, every check) — the asset it concerns is refused until it is
    repaired."""
    try:
        return _apply(monitor, record)
    except Exception as exc:  # any flaw of a stored row: it must not stop every asset
        asset = _asset_of(record)
        _HELD.quarantined[record.pk] = asset
        _HELD.untold[record.pk] = f"{record.event_id} ({type(exc).__name__})"
        log.error(
            "custody journal record %s (%s) cannot be loaded and is set aside; withdrawals "
            "of %s are refused: %r",
            record.pk,
            record.event_id,
            "every asset" if asset == EVERY_ASSET else asset,
            exc,
        )
        return monitor


class Listener(Protocol):
    """Who is told what the monitor decided (the alerts module): registered at start-up, so
    the monitor imports nothing that imports it back."""

    def after_decision(self, event: engine.Event, decision: engine.Decision) -> None:
        """A decision was written."""

    def conflicting_resend(self, event: engine.Event, decision: engine.Decision) -> None:
        """An event came again with different content."""

    def journal_quarantined(self, record_pk: int, what: str, asset: str) -> None:
        """A journal record was set aside as unreadable."""


_LISTENERS: list[Listener] = []


def listen(listener: Listener) -> None:
    """Make ``listener`` the one told of decisions (custody registers its alerts)."""
    _LISTENERS[:] = [listener]


def _listener() -> Listener:
    if not _LISTENERS:
        raise RuntimeError("the custody monitor has no listener: custody's alerts not registered")
    return _LISTENERS[0]


def _tell_quarantined() -> None:
    """Tell the responsible people of each record set aside, once its telling is committed
    (a rolled-back transaction leaves it to be told by the next one)."""
    for pk, what in list(_HELD.untold.items()):
        _listener().journal_quarantined(pk, what, _HELD.quarantined.get(pk, EVERY_ASSET))

        def told(pk: int = pk) -> None:
            _HELD.untold.pop(pk, None)

        transaction.on_commit(told)


def _asset_of(record: MonitorRecord) -> str:
    """Return the asset a journal record concerns, read from its row as far as it can be
    (:data:`EVERY_ASSET` if it names none that can be told)."""
    row = record.row
    if record.kind != MonitorRecord.Kind.EVENT or not isinstance(row, list) or len(row) < 4:
        return EVERY_ASSET
    kind = row[0] % 10 if type(row[0]) is int else None
    asset: object = None
    if kind in (0, 1, 5) and len(row) > 4:  # deposit, withdrawal request, balance
        asset = row[4]
    elif kind == 4:  # price
        asset = row[3]
    elif kind == 6 and row[3] == str(engine.HaltScope.ASSET) and len(row) > 4:
        asset = row[4]
    elif kind in (2, 3, 7, 8):  # a cancelled, sent, released or refused withdrawal's asset
        first = MonitorRecord.objects.filter(event_id=str(row[3]), kind="event").first()
        if first is not None and isinstance(first.row, list) and len(first.row) > 4:
            asset = first.row[4]
    return asset if isinstance(asset, str) and asset else EVERY_ASSET


def _quarantine_of(asset: str) -> int | None:
    """Return the number of a set-aside record that stops withdrawals of ``asset``."""
    for pk, stopped in _HELD.quarantined.items():
        if stopped in (asset, EVERY_ASSET):
            return pk
    return None


def _catch_up() -> engine.Monitor:
    """Apply the journal records this process has not seen (all of them after a reset).

    While the transaction that wrote this process's last record is not known to be committed,
    the read starts at that record: if it is missing, the transaction rolled back and memory is
    ahead of the journal, so the monitor is rebuilt (a record found at its number is this
    process's only if its event id and time of writing are too). One read for both questions —
    and none while the transaction that wrote that record is still the one running
    (:func:`_still_written`): a batch of checks reads the journal once."""
    if _HELD.pending is not None and _HELD.pending != _HELD.seq:
        reset()  # cannot happen (_written sets both); rebuilding is right whatever happened
    if _still_written():
        assert _HELD.monitor is not None
        return _HELD.monitor
    monitor = _HELD.monitor
    first = _HELD.seq if _HELD.pending is not None else _HELD.seq + 1
    while True:
        page = _FROM.all(first)
        full = len(page) == _PAGE
        if _HELD.pending is not None:
            if not page or _identity(page[0]) != (_HELD.pending, _HELD.pending_record):
                log.warning("custody monitor rebuilt: a decision was rolled back")
                reset()
                monitor, first = None, 1
                continue
            _confirmed()
            del page[0]
        for record in page:
            monitor = _load(monitor, record)
            _HELD.seq = record.pk
        if not full:
            break
        first = _HELD.seq + 1
    if monitor is None:
        monitor = engine.Monitor(engine.Config((), ()))
    _HELD.monitor = monitor
    if _HELD.untold:
        _tell_quarantined()
    return monitor


def _identity(record: MonitorRecord) -> tuple[int, tuple[str, datetime]]:
    return record.pk, (record.event_id, record.recorded_at)


def _written(record: MonitorRecord) -> None:
    _HELD.seq = record.pk
    _HELD.pending, _HELD.pending_record = _identity(record)
    _HELD.written_in = _where(connections[DEFAULT_DB_ALIAS])

    def committed(pk: int = record.pk) -> None:
        if _HELD.pending == pk:
            _confirmed()

    transaction.on_commit(committed)


def current() -> engine.Monitor:
    """Return the monitor brought up to date with the journal."""
    with _LOCK, transaction.atomic():
        _db_lock()
        return _catch_up()


def prices() -> dict[str, Decimal]:
    """Return the latest JPY price of one whole coin of each asset the monitor was told
    (ISM 27-2: JPY thresholds use them; pages value amounts with them)."""
    return dict(current().prices)


def apply_thresholds() -> engine.Config:
    """Make the current assets and active thresholds the monitor's configuration.

    An inconsistent configuration raises ``engine.ConfigError`` and changes nothing.
    """
    data = {
        "assets": [[a.code, a.decimals] for a in Asset.objects.order_by("code")],
        "rules": [rule_data(r) for r in ThresholdRule.objects.filter(active=True)],
        "deposit_delay_hours": settings.CONFIG.custody_deposit_delay_hours,
    }
    config = engine_config(data)  # refuse before anything is written
    with _LOCK, transaction.atomic():
        _db_lock()
        monitor = _catch_up()
        count = MonitorRecord.objects.filter(kind=MonitorRecord.Kind.CONFIG).count()
        record = MonitorRecord.objects.create(
            kind=MonitorRecord.Kind.CONFIG,
            event_id=f"config:{count + 1}",
            row=data,
            recorded_at=timezone.now(),
        )
        monitor.reconfigure(config)
        _written(record)
    return config


def _unwritable(event: engine.Event) -> engine.Decision | None:
    """Refuse, before anything is written, an event whose time the journal could not read
    back (every edge refuses it first, saying which field: this is the last guard)."""
    try:
        bounds.event_time(event.at, None)
    except (ValueError, TypeError, AttributeError) as exc:
        reason = engine.Reason("bad_time", f"event time is not usable: {exc}")
        return engine.Decision(event.id, engine.Action.REJECT, (reason,))
    return None


def _refused_while_quarantined(event: engine.Event) -> engine.Decision | None:
    """Refuse a withdrawal of an asset whose journal holds a record set aside (not written:
    once the record is repaired, the same request is decided)."""
    if not _HELD.quarantined or not isinstance(event, engine.WithdrawalRequest):
        return None
    pk = _quarantine_of(event.asset)
    if pk is None:
        return None
    reason = engine.Reason(
        QUARANTINED,
        f"the monitor's journal holds a record it cannot load (#{pk}) for {event.asset}"
        f"{' (every asset)' if _HELD.quarantined[pk] == EVERY_ASSET else ''}; its withdrawals "
        "are refused until the record is repaired and the journal reloaded",
    )
    return engine.Decision(event.id, engine.Action.REJECT, (reason,))


def decide(event: engine.Event, now: datetime | None = None) -> engine.Decision:
    """Decide ``event`` once, durably; a resend returns the first decision."""
    alerts = _listener()
    unwritable = _unwritable(event)
    if unwritable is not None:
        return unwritable
    with _LOCK, transaction.atomic(savepoint=False):  # the caller's transaction, if any
        _db_lock()
        monitor = _catch_up()
        if monitor.knows(event.id):
            first = monitor.process(event)  # its first decision, or refused if it differs
            if first.codes == ("duplicate_conflict",):
                alerts.conflicting_resend(event, first)
            return first
        refused = _refused_while_quarantined(event)
        if refused is not None:
            return refused
        decision = monitor.process(event, now)
        if not monitor.knows(event.id):  # refused for its time alone: nothing to keep
            return decision
        record = fastdb.insert(
            MonitorRecord(
                kind=MonitorRecord.Kind.EVENT,
                event_id=event.id,
                row=engine.checked_row(event, now),
                action=str(decision.action),
                reasons=[_reason(r) for r in decision.reasons],
                recorded_at=timezone.now(),
                decided_by=getattr(_TERM, "value", None),
            )
        )
        _written(record)
        alerts.after_decision(event, decision)
    return decision


def hold_outcome(withdrawal: str, released: bool, reason: str = "") -> engine.Decision:
    """Release a held withdrawal (it proceeds) or refuse it (it leaves every window), once,
    durably, through the journal like any event (a second call returns the first decision)."""
    now = timezone.now()
    kind = engine.HoldReleased if released else engine.HoldRefused
    event_id = f"{bounds.RESERVED_PREFIX}{'release' if released else 'refuse'}:{withdrawal}"
    first = MonitorRecord.objects.filter(event_id=event_id, kind=MonitorRecord.Kind.EVENT).first()
    if first is not None:  # decided before: the same event, so its first decision comes back
        return decide(engine.unchecked_row(first.row)[0], now)
    return decide(kind(event_id, now, withdrawal, reason[:500]), now)


def lift(halt_id: str) -> bool:
    """Lift an active halt in the monitor and the journal; False if it was not active."""
    with _LOCK, transaction.atomic():
        _db_lock()
        monitor = _catch_up()
        if halt_id not in monitor.halts:
            return False
        monitor.lift(halt_id)
        record = MonitorRecord.objects.create(
            kind=MonitorRecord.Kind.LIFT,
            event_id=f"lift:{halt_id}",
            row={"halt": halt_id},
            recorded_at=timezone.now(),
        )
        _written(record)
    return True


def _reason(reason: engine.Reason) -> dict[str, Any]:
    return {
        "code": reason.code,
        "message": reason.message,
        "rule": reason.rule,
        "observed": str(reason.observed) if reason.observed is not None else None,
        "limit": str(reason.limit) if reason.limit is not None else None,
    }
