"""A reconciliation run (ISM 34-1): pin a block per chain, read every registered wallet at it,
compare with the book, store everything, and act on differences at once (34-2).

The run row is committed before any node is asked, so a run that dies midway stays visible as
"running" (never "matched"). A block that changes under the run (tip reorganised) restarts
the reading of that chain; after :data:`MAX_ATTEMPTS` the run fails with the reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mamori.accounts.models import User
from mamori.auditlog.services import record
from mamori.custody.models import Asset, Wallet
from mamori.engines import chains
from mamori.engines import reconcile as engine
from mamori.events.bus import publish
from mamori.reconciliation.models import AssetResult, BookImport, ChainNode, Run, WalletResult
from mamori.reconciliation.services import books, nodes

__all__ = ["MAX_ATTEMPTS", "ChainRead", "read_chain", "run"]

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class ChainRead:
    """What one chain gave: the block read at and one reading per wallet, or the failure."""

    block: chains.Block | None
    readings: list[engine.ChainReading]
    attempts: int
    error: str = ""


def read_chain(adapter: chains.ChainAdapter, wallets: Sequence[Wallet]) -> ChainRead:
    """Read ``wallets`` at one pinned block, starting again when the block changes."""
    holdings = [chains.Holding(w.address, w.asset.code, w.asset.contract or None) for w in wallets]
    last = ""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            block = adapter.pin()
            balances = adapter.balances(block, holdings)
            if not adapter.still_canonical(block):
                raise chains.BlockChanged(
                    f"block {block.number} {block.hash} left the chain during the run"
                )
        except chains.BlockChanged as changed:
            last = str(changed)
            log.warning("reconciliation: %s; reading again (attempt %s)", changed, attempt)
            continue
        except chains.ChainError as failed:
            return ChainRead(None, [], attempt, str(failed))
        readings = [
            engine.ChainReading(w.asset.code, w.name, b.amount, b.error)
            for w, b in zip(wallets, balances, strict=True)
        ]
        return ChainRead(block, readings, attempt)
    return ChainRead(None, [], MAX_ATTEMPTS, f"the chain kept changing: {last}")


def _finish(run_row: Run, status: str, reason: str, started: float) -> Run:
    run_row.status = status
    run_row.reason = reason[:4000]
    run_row.finished_at = timezone.now()
    run_row.duration_ms = int((time.monotonic() - started) * 1000)
    run_row.save()
    from mamori.reconciliation.services import statements

    statements.record_figures(run_row)  # what statements of this run are anchored to
    record(
        "reconciliation.run",
        "reconciliation.run",
        str(run_row.pk),
        {
            "status": status,
            "reason": reason[:500],
            "book": run_row.book_id,
            "book_sha256": run_row.book.sha256 if run_row.book else None,
            "pins": run_row.pins,
            "duration_ms": run_row.duration_ms,
            "assets": [
                {
                    "asset": a.asset,
                    "status": a.status,
                    "difference": None if a.difference is None else str(a.difference),
                }
                for a in run_row.assets.all()
            ],
        },
    )
    return run_row


def _store(run_row: Run, outcome: engine.AssetOutcome, chain: str, read: ChainRead | None) -> None:
    block = read.block if read else None
    result = AssetResult.objects.create(
        run=run_row,
        asset=outcome.asset,
        chain=chain,
        block_number=block.number if block else None,
        block_hash=block.hash if block else "",
        status=str(outcome.status),
        book=outcome.book,
        in_flight=outcome.in_flight,
        on_chain=outcome.chain,
        difference=outcome.difference,
        errors=list(outcome.errors),
    )
    addresses = dict(
        Wallet.objects.filter(asset__code=outcome.asset).values_list("name", "address")
    )
    WalletResult.objects.bulk_create(
        WalletResult(
            asset_result=result,
            wallet=w.wallet,
            address=addresses.get(w.wallet, ""),
            status=str(w.status),
            book=w.book,
            in_flight=w.in_flight,
            on_chain=w.chain,
            difference=w.difference,
            error=w.error or "",
        )
        for w in outcome.wallets
    )


def _local_day(now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(settings.CONFIG.time_zone))


def run(trigger: str, user: User | None = None, book: BookImport | None = None) -> Run:
    """Reconcile every registered asset now; return the stored run."""
    from mamori.reconciliation.services import cases

    started = time.monotonic()
    now = timezone.now()
    run_row = Run.objects.create(
        trigger=trigger, triggered_by=user, day=_local_day(now).date(), started_at=now
    )
    if book is None:
        book, why = books.current_book()
        if book is None:
            return _failed_early(run_row, why, started)
    elif book.status != BookImport.Status.ACCEPTED:
        return _failed_early(run_row, f"book {book.pk} was refused", started)
    else:
        refused = books.refusal_in_force(book)
        if refused is not None:
            return _failed_early(run_row, books.refusal_reason(refused, book), started)
    run_row.book = book
    run_row.save(update_fields=["book"])
    totals = books.totals_of(book)
    assets = list(Asset.objects.order_by("code"))
    reads: dict[str, ChainRead] = {}
    readings: list[engine.ChainReading] = []
    for chain in sorted({a.chain for a in assets}):
        wallets = list(
            Wallet.objects.filter(asset__chain=chain).select_related("asset").order_by("pk")
        )
        node = ChainNode.objects.filter(chain=chain).first()
        if node is None:
            read = ChainRead(None, [], 0, f"no node is configured for chain {chain}")
        elif not wallets:
            read = ChainRead(None, [], 0, "")
        else:
            read = read_chain(nodes.adapter_for(node), wallets)
        reads[chain] = read
        run_row.attempts = max(run_row.attempts, read.attempts)
        if read.block is not None:
            run_row.pins.append(
                {"chain": chain, "number": read.block.number, "hash": read.block.hash}
            )
        readings += read.readings or [
            engine.ChainReading(w.asset.code, w.name, None, read.error) for w in wallets
        ]
    outcomes = engine.compare(totals, readings, [a.code for a in assets])
    chain_of = {a.code: a.chain for a in assets}
    with transaction.atomic():
        for outcome in outcomes:
            chain = chain_of.get(outcome.asset, "")
            _store(run_row, outcome, chain, reads.get(chain))
    statuses = {o.status for o in outcomes}
    if engine.Status.FAILED in statuses or not outcomes:
        failures = [f"{o.asset}: {'; '.join(o.errors)}" for o in outcomes if o.errors]
        status = Run.Status.FAILED
        reason = "; ".join(failures) or "nothing to reconcile: no asset is registered"
    elif engine.Status.DIFFERENCE in statuses:
        status, reason = Run.Status.DIFFERENCE, ""
    else:
        status, reason = Run.Status.MATCHED, ""
    _finish(run_row, status, reason, started)
    for outcome in outcomes:
        if outcome.status is engine.Status.DIFFERENCE:
            cases.open_for(run_row, outcome)
    if status == Run.Status.FAILED:
        cases.tell_failed(run_row)
    _published(run_row)
    return run_row


def _published(run_row: Run) -> None:
    publish(
        "mamori.reconciliation.run_finished",
        {"run": run_row.pk, "status": run_row.status, "day": run_row.day.isoformat()},
        event_id=f"reconciliation-run-{run_row.pk}",
    )


def _failed_early(run_row: Run, reason: str, started: float) -> Run:
    """Finish a run that could not start reading (no usable book), tell the CISO and the
    system general manager, and publish it like any other run."""
    from mamori.reconciliation.services import cases

    _finish(run_row, Run.Status.FAILED, reason, started)
    cases.tell_failed(run_row)
    _published(run_row)
    return run_row
