"""Withdrawal intents: the withdrawals the custody check allowed, waiting to be signed
(ISM 29-1-4, 27-3).

An intent is made from the monitor's journal (:class:`~mamori.custody.models.MonitorRecord`),
read in decision order behind a cursor kept in the same transaction: a withdrawal the check
allowed is approved at once; one it held waits for its release approval (two people where
the policy says so) and is approved when that approval is, rejected when it is rejected; a
cancelled withdrawal is cancelled. The custody check's fast path writes nothing more for
this — intents follow its journal, so a check costs what it cost before. A withdrawal the
exchange reports sent is no longer payable: a transaction paying it again is refused.

The journal is safe to read this way: every record is written under the monitor's lock, held
until its transaction commits, so the records commit in the order of their keys and a record
read past the cursor is never followed by an earlier one committing late.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from mamori.accounts.models import ApprovalRequest
from mamori.custody.models import Asset, HeldWithdrawal, MonitorRecord
from mamori.engines import presign
from mamori.engines import threshold as engine
from mamori.engines.presign.common import normalise
from mamori.keys.models import IntentCursor, WithdrawalIntent

__all__ = ["BATCH", "as_engine_intent", "catch_up", "expires_at"]

#: Journal records read per transaction: the first catch-up of a busy journal is cut in
#: transactions of this many, each keeping the cursor with the intents it made.
BATCH = 5_000


def _cursor() -> IntentCursor:
    """Return the cursor row, locked for this transaction (made on first use)."""
    IntentCursor.objects.get_or_create(pk=1)
    return IntentCursor.objects.select_for_update().get(pk=1)


def _intent(
    event: engine.WithdrawalRequest, record: MonitorRecord, assets: dict[str, Asset]
) -> WithdrawalIntent | None:
    asset = assets.get(event.asset)
    if asset is None or not isinstance(event.amount, int):
        return None  # the monitor refused it: nothing to sign
    held = record.action == str(engine.Action.HOLD)
    approval = None
    if held:
        found = HeldWithdrawal.objects.filter(event_id=event.id).select_related("approval")
        hold = found.first()
        approval = None if hold is None else hold.approval
    return WithdrawalIntent(
        event_id=event.id,
        customer=event.customer,
        asset=event.asset,
        chain=asset.chain,
        amount=event.amount,
        destination=normalise(event.address.strip()),
        token_contract=asset.contract,
        state=WithdrawalIntent.State.HELD if held else WithdrawalIntent.State.APPROVED,
        decided_at=record.recorded_at,
        approved_at=None if held else record.recorded_at,
        approval=approval,
    )


def _read(after: int) -> tuple[int, list[WithdrawalIntent], list[str], list[str]]:
    """Return the last record read, the intents to make, the withdrawals cancelled and those
    reported sent."""
    assets = {a.code: a for a in Asset.objects.all()}
    made: list[WithdrawalIntent] = []
    cancelled: list[str] = []
    sent: list[str] = []
    last = after
    records = MonitorRecord.objects.filter(pk__gt=after).order_by("pk")
    for record in records[:BATCH]:
        last = record.pk
        if record.kind != MonitorRecord.Kind.EVENT or record.row[0] not in (1, 11, 2, 12, 3, 13):
            continue
        try:
            event, _now = engine.unchecked_row(record.row)
        except (ValueError, TypeError, IndexError, OverflowError, ArithmeticError):
            continue  # a record the monitor quarantined: never an intent
        if isinstance(event, engine.WithdrawalCancelled):
            cancelled.append(event.withdrawal)
        elif isinstance(event, engine.WithdrawalSent):
            sent.append(event.withdrawal)
        elif isinstance(event, engine.WithdrawalRequest) and record.action in ("allow", "hold"):
            intent = _intent(event, record, assets)
            if intent is not None:
                made.append(intent)
    return last, made, cancelled, sent


def _settle_holds() -> int:
    """Approve or reject the held intents whose release approval was decided."""
    changed = 0
    held = WithdrawalIntent.objects.filter(state=WithdrawalIntent.State.HELD)
    for intent in held.select_related("approval"):
        if intent.approval is None:
            hold = HeldWithdrawal.objects.filter(event_id=intent.event_id).first()
            if hold is None:
                continue
            intent.approval = hold.approval
        status = intent.approval.status
        if status == ApprovalRequest.Status.APPROVED:
            intent.state = WithdrawalIntent.State.APPROVED
            intent.approved_at = intent.approval.closed_at or timezone.now()
        elif status in (ApprovalRequest.Status.REJECTED, ApprovalRequest.Status.EXPIRED):
            intent.state = WithdrawalIntent.State.REJECTED
        else:
            intent.save(update_fields=["approval"])
            continue
        intent.save(update_fields=["approval", "state", "approved_at"])
        changed += 1
    return changed


def catch_up() -> int:
    """Read the journal past the cursor into intents and settle the held ones whose release
    was decided; return how many intents were made or changed. Safe to run at any moment,
    from any number of processes: the cursor row is locked, and a crash loses nothing and
    repeats nothing (the cursor moves with the intents in one transaction)."""
    changed = 0
    while True:
        with transaction.atomic():
            cursor = _cursor()
            last, made, cancelled, sent = _read(cursor.last_record)
            if made:
                known = set(
                    WithdrawalIntent.objects.filter(
                        event_id__in=[m.event_id for m in made]
                    ).values_list("event_id", flat=True)
                )
                fresh = [m for m in made if m.event_id not in known]
                for intent in fresh:
                    intent.save()
                changed += len(fresh)
            if cancelled:
                changed += WithdrawalIntent.objects.filter(
                    event_id__in=cancelled,
                    state__in=[WithdrawalIntent.State.HELD, WithdrawalIntent.State.APPROVED],
                ).update(state=WithdrawalIntent.State.CANCELLED)
            if sent:
                changed += WithdrawalIntent.objects.filter(
                    event_id__in=sent,
                    state__in=[WithdrawalIntent.State.APPROVED, WithdrawalIntent.State.SIGNED],
                ).update(state=WithdrawalIntent.State.SENT)
            done = last == cursor.last_record
            if not done:
                cursor.last_record = last
                cursor.save(update_fields=["last_record"])
        if done:
            break
    with transaction.atomic():
        changed += _settle_holds()
    return changed


def expires_at(intent: WithdrawalIntent, hours: int) -> datetime:
    """Return when ``intent`` stops being signable: ``hours`` after it was approved."""
    start = intent.approved_at or intent.decided_at
    return start + timedelta(hours=hours)


def as_engine_intent(
    intent: WithdrawalIntent, hours: int, signing_hash: str | None
) -> presign.WithdrawalIntent:
    """Return ``intent`` as the engine reads it. An intent signed for ``signing_hash`` itself
    stays approved: a second co-signer of the same transaction is not a replay."""
    signed = intent.state in (WithdrawalIntent.State.SIGNED, WithdrawalIntent.State.SENT)
    if (
        intent.state == WithdrawalIntent.State.SIGNED
        and signing_hash is not None
        and intent.signed_hash == signing_hash
    ):
        signed = False
    return presign.WithdrawalIntent(
        id=intent.event_id,
        asset=intent.asset,
        chain=intent.chain,
        destination=intent.destination,
        amount=int(intent.amount),
        expires_at=expires_at(intent, hours),
        state=presign.IntentState.SIGNED if signed else presign.IntentState.APPROVED,
        token_contract=intent.token_contract or None,
        approvals=() if intent.approval_id is None else (str(intent.approval_id),),
    )
