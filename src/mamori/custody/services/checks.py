"""Checking a withdrawal for the exchange's services: decide, and hold through approvals.

A held withdrawal waits for the ``withdrawal_release`` approval. Approved, it is *released*:
the monitor journals the release and the withdrawal proceeds. Rejected (or expired), it is
*refused*: the monitor journals the refusal and the held amount leaves every window. Either
way the exchange learns it from the answer to the same check sent again (``allow`` with the
reason ``hold_released``, or ``reject`` with ``hold_refused``), from
``GET /api/custody/withdrawals/{request_id}``, from the bus (``mamori.custody.withdrawal_released``
/ ``withdrawal_refused``, relayed to NATS) and from a webhook subscribed to
``custody.withdrawal.*``; a refusal also tells the asset's responsible people, and the
exchange tells its customer (the customer-notice flow starts from that event).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import ApiToken, ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.custody.fastpath.fastdb import Prepared
from mamori.custody.models import Asset, HeldWithdrawal, MonitorRecord
from mamori.custody.services import allowlist, monitor
from mamori.engines import threshold as engine
from mamori.events.bus import publish
from mamori.notifications.services import notify

__all__ = [
    "RELEASE_KIND",
    "RELEASE_POLICY",
    "Checked",
    "apply_release",
    "check_withdrawal",
    "on_release_closed",
    "settle_holds",
    "with_outcome",
]

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
                decision = with_outcome(decision, existing)
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
                HeldWithdrawal.objects.create(
                    event_id=request_id, approval=approval, customer=customer, asset=asset
                )
    return Checked(decision, approval)


def with_outcome(decision: engine.Decision, held: HeldWithdrawal) -> engine.Decision:
    """Return a held withdrawal's decision as it stands: still held, released (allow) or
    refused (reject), saying which — what the exchange reads when it asks again."""
    if held.outcome == HeldWithdrawal.Outcome.RELEASED:
        reason = engine.Reason(
            "hold_released",
            f"released by approval #{held.approval_id}: the withdrawal may be sent",
        )
        return decision.replace(engine.Action.ALLOW, (*decision.reasons, reason))
    if held.outcome == HeldWithdrawal.Outcome.REFUSED:
        reason = engine.Reason(
            "hold_refused",
            f"refused by approval #{held.approval_id}: the withdrawal must not be sent; "
            "tell the customer",
        )
        return decision.replace(engine.Action.REJECT, (*decision.reasons, reason))
    return decision


def _decided(request: ApprovalRequest, released: bool) -> HeldWithdrawal | None:
    """Journal the outcome of the hold ``request`` decided and tell the exchange."""
    held = HeldWithdrawal.objects.select_for_update().filter(approval=request).first()
    if held is None or held.outcome:
        return held
    last = request.decisions.order_by("-at", "-pk").first()
    said = last.reason if last is not None else str(request.status)
    verdict = monitor.hold_outcome(held.event_id, released, said)
    held.outcome = HeldWithdrawal.Outcome.RELEASED if released else HeldWithdrawal.Outcome.REFUSED
    held.outcome_at = timezone.now()
    held.save(update_fields=["outcome", "outcome_at"])
    outcome = "released" if released else "refused"
    body = {
        "request_id": held.event_id,
        "customer": held.customer or str(request.snapshot.get("customer", "")),
        "asset": held.asset or str(request.snapshot.get("asset", "")),
        "amount": str(request.snapshot.get("amount", "")),
        "outcome": outcome,
        "approval": request.pk,
        "reason": said,
        "monitor": [r.code for r in verdict.reasons],
    }
    publish(
        f"mamori.custody.withdrawal_{outcome}", body, event_id=f"withdrawal-{outcome}-{held.pk}"
    )
    _tell(held, body, released)
    return held


def _tell(held: HeldWithdrawal, body: dict[str, object], released: bool) -> None:
    """Tell the webhooks subscribed to ``custody.withdrawal.*`` (the exchange's customer
    notices) and, for a refusal, the asset's responsible people."""
    from mamori.custody.services.alerts import levels

    amount, asset, customer = body["amount"], body["asset"], body["customer"]
    if released:
        title = (
            f"出金の保留を解除: {held.event_id}（{customer}、{asset} {amount} 基本単位）",
            f"Held withdrawal released: {held.event_id} ({customer}, {amount} {asset} base units)",
        )
        text = (
            "承認により出金を進めてよくなりました。",
            "Approved: the withdrawal may proceed.",
        )
    else:
        title = (
            f"保留中の出金を拒否: {held.event_id}（{customer}、{asset} {amount} 基本単位）",
            f"Held withdrawal refused: {held.event_id} ({customer}, {amount} {asset} base units)",
        )
        text = (
            "出金は送られません。保留額は監視の集計から外れました。"
            f"顧客への通知を行ってください。理由: {body['reason']}",
            "The withdrawal must not be sent; its amount left the monitor's windows. "
            f"Tell the customer. Reason: {body['reason']}",
        )
    notify(
        f"custody.withdrawal.{'released' if released else 'refused'}",
        "info" if released else "warning",
        title,
        text,
        levels(str(asset)),
        link="/custody/",
    )


def apply_release(request: ApprovalRequest) -> None:
    """The release was approved: the held withdrawal proceeds (journalled, told)."""
    held = HeldWithdrawal.objects.filter(approval=request).first()
    if held is None:
        raise approvals.ApprovalRefused(
            "stale", _("No held withdrawal waits for this approval."), status=409
        )
    _decided(request, released=True)


def settle_holds() -> list[str]:
    """Settle every hold whose approval closed but whose outcome was not recorded (a hook
    that failed after the approval committed is only logged): approved ones are released,
    rejected or expired ones refused. Return the request ids settled."""
    settled = []
    closed = HeldWithdrawal.objects.filter(outcome=HeldWithdrawal.Outcome.PENDING).exclude(
        approval__status=ApprovalRequest.Status.PENDING
    )
    for held in closed.select_related("approval").order_by("pk"):
        request = held.approval
        with transaction.atomic():
            _decided(request, released=request.status == ApprovalRequest.Status.APPROVED)
        settled.append(held.event_id)
    return settled


def on_release_closed(request: ApprovalRequest) -> None:
    """A release rejected or expired: the held withdrawal is refused (its amount leaves the
    windows) and the customer-notice flow starts."""
    if request.kind != RELEASE_KIND or request.status == ApprovalRequest.Status.APPROVED:
        return
    with transaction.atomic():
        _decided(request, released=False)
