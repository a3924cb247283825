"""Checking a withdrawal for the exchange's services: decide, and hold through approvals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from mamori.accounts.models import ApiToken, ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.custody.fastpath.fastdb import Prepared
from mamori.custody.models import Asset, HeldWithdrawal, MonitorRecord
from mamori.custody.services import allowlist, monitor
from mamori.engines import threshold as engine

__all__ = ["RELEASE_KIND", "RELEASE_POLICY", "Checked", "check_withdrawal"]

#: The reads every check makes, built once (mamori.custody.fastpath.fastdb).
_ASSET: Prepared[Asset] = Prepared(lambda code: Asset.objects.filter(code=code), "\x00asset")
_FIRST: Prepared[MonitorRecord] = Prepared(
    lambda event: MonitorRecord.objects.filter(event_id=event, kind="event"), "\x00event"
)

RELEASE_KIND = "custody.withdrawal_release"
RELEASE_POLICY = "withdrawal_release"


@dataclass(frozen=True)
class Checked:
    """A decision and, for a held withdrawal, the approval it waits for."""

    decision: engine.Decision
    approval: ApprovalRequest | None


def check_withdrawal(
    request_id: str,
    customer: str,
    asset: str,
    amount: int,
    address: str,
    at: datetime | None,
    requester: User | ApiToken,
) -> Checked:
    """Decide a withdrawal request once (idempotent by ``request_id``)."""
    now = timezone.now()
    if at is None:  # the time of the first check, so that a resend is the same event
        first = _FIRST.first(request_id)
        try:
            at = engine.from_micros(first.row[2]) if first is not None else now
        except (OverflowError, ValueError, TypeError, IndexError):
            reason = engine.Reason(
                monitor.QUARANTINED,
                f"the first check of {request_id} in the monitor's journal has a time that "
                "cannot be read; the record must be repaired before this id is decided",
            )
            return Checked(engine.Decision(request_id, engine.Action.REJECT, (reason,)), None)
    event = engine.WithdrawalRequest(request_id, at, customer, asset, amount, address)
    asset_row = _ASSET.first(asset)
    verdict = allowlist.check_destination(customer, asset_row, address, at) if asset_row else None
    if verdict is not None and verdict.action == "reject":
        reason = engine.Reason(verdict.code, verdict.message)
        return Checked(engine.Decision(request_id, engine.Action.REJECT, (reason,)), None)
    with transaction.atomic(savepoint=False):  # one decision: all of it or none
        decision = monitor.decide(event, now)
        if verdict is not None and verdict.action == "hold":
            extra = engine.Reason(verdict.code, verdict.message)
            if decision.action is engine.Action.ALLOW:
                decision = decision.replace(action=engine.Action.HOLD)
            if decision.action is engine.Action.HOLD:
                decision = decision.replace(reasons=(*decision.reasons, extra))
        approval = None
        if decision.action is engine.Action.HOLD:
            held = HeldWithdrawal.objects.filter(event_id=request_id).select_related("approval")
            existing = held.first()
            if existing is not None:
                approval = existing.approval
            else:
                approval = approvals.submit(
                    RELEASE_KIND,
                    f"Release withdrawal {request_id} ({amount} {asset} base units)",
                    {
                        "request_id": request_id,
                        "customer": customer,
                        "asset": asset,
                        "amount": str(amount),
                        "address": address,
                        "reasons": [r.code for r in decision.reasons],
                    },
                    requester,
                )
                HeldWithdrawal.objects.create(event_id=request_id, approval=approval)
    return Checked(decision, approval)
