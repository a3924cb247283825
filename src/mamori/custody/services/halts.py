"""Lifting a halt: two distinct authorised people approve, then the monitor lets go."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.auditlog.context import because
from mamori.core.errors import Refused
from mamori.custody.models import Halt
from mamori.custody.services import monitor
from mamori.engines import threshold
from mamori.events.bus import publish

__all__ = ["KIND", "POLICY", "HaltRefused", "apply_lift", "order_halt", "request_lift"]

KIND = "custody.halt_lift"
POLICY = "halt_lift"


class HaltRefused(Refused):
    """The custody monitor did not start the halt asked for (an unknown asset, no reason)."""


def order_halt(asset: str, by: User, reason: str, source: str = "manual") -> Halt:
    """Halt ``asset``'s withdrawals now, as a person orders it (SRM 10-2, ISM 27-3): through
    the custody monitor, like any halt, so lifting it needs the same two approvals. Return the
    halt in force (the one already in force if the asset was halted)."""
    reason = reason.strip()
    if not reason:
        raise HaltRefused(
            "reason_required",
            _("Say why the withdrawals are halted."),
            fields=[("reason", _("This field is required."))],
        )
    order = threshold.HaltOrder(
        f"{source}-{uuid.uuid4().hex[:12]}",
        timezone.now(),
        threshold.HaltScope.ASSET,
        asset,
        f"{source}:{by.get_username()}"[:60],
        reason[:500],
    )
    with transaction.atomic():
        decision = monitor.decide(order)
    if decision.action is not threshold.Action.HALT:
        said = "; ".join(r.message for r in decision.reasons) or str(decision.action)
        raise HaltRefused(
            decision.codes[0] if decision.codes else "not_halted",
            _("The custody monitor did not halt %(asset)s: %(said)s")
            % {"asset": asset, "said": said},
            fields=[("asset", said)],
        )
    started = [h.id for h in decision.halts]
    found = Halt.objects.filter(halt_id__in=started).first() if started else None
    if found is None:
        found = Halt.objects.filter(
            scope=threshold.HaltScope.ASSET, key=asset, lifted_at__isnull=True
        ).first()
    if found is None:  # pragma: no cover - the listener records every halt the monitor starts
        raise HaltRefused("not_recorded", _("The halt was not recorded."))
    return found


def _snapshot(halt: Halt) -> dict[str, str]:
    return {"halt": halt.halt_id, "scope": halt.scope, "key": halt.key, "rule": halt.rule}


def request_lift(halt: Halt, by: User, reason: str) -> ApprovalRequest:
    """Ask for ``halt`` to be lifted, saying why (ISM 27: the approvers read the reason, and
    the halt's History keeps it); the ``halt_lift`` policy needs two approvers."""
    reason = reason.strip()
    if not reason:
        raise approvals.ApprovalRefused(
            "reason_required", _("Say why the halt may be lifted."), status=422
        )
    with transaction.atomic(), because(reason):
        halt = Halt.objects.select_for_update().get(pk=halt.pk)
        if halt.lifted_at is not None:
            raise approvals.ApprovalRefused(
                "already_lifted", _("%(halt)s is lifted") % {"halt": halt.halt_id}
            )
        if halt.lift_request is not None and halt.lift_request.status == "pending":
            raise approvals.ApprovalRefused(
                "already_requested",
                _("lifting %(halt)s already waits for approval") % {"halt": halt.halt_id},
            )
        snapshot = {**_snapshot(halt), "reason": reason}
        request = approvals.submit(KIND, f"Lift halt {halt.scope} {halt.key}", snapshot, by)
        halt.lift_request = request
        halt.save(update_fields=["lift_request"])
    return request


def apply_lift(request: ApprovalRequest) -> None:
    """Lift exactly the halt that was approved."""
    halt = Halt.objects.select_for_update().get(lift_request=request)
    expected: dict[str, str] = _snapshot(halt)
    if "reason" in request.snapshot:  # asked with a reason (every request since issue 25)
        expected["reason"] = str(request.snapshot["reason"])
    approvals.verify(request, expected)
    monitor.lift(halt.halt_id)
    halt.lifted_at = timezone.now()
    halt.save(update_fields=["lifted_at"])
    publish(
        "mamori.custody.halt_lifted",
        {"halt": halt.halt_id, "scope": halt.scope, "key": halt.key, "approval": request.pk},
        event_id=f"halt-lifted-{halt.halt_id}",
    )
