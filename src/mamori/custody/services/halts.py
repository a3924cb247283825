"""Lifting a halt: two distinct authorised people approve, then the monitor lets go."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.custody.models import Halt
from mamori.custody.services import monitor
from mamori.events.bus import publish

__all__ = ["KIND", "POLICY", "apply_lift", "request_lift"]

KIND = "custody.halt_lift"
POLICY = "halt_lift"


def _snapshot(halt: Halt) -> dict[str, str]:
    return {"halt": halt.halt_id, "scope": halt.scope, "key": halt.key, "rule": halt.rule}


def request_lift(halt: Halt, by: User) -> ApprovalRequest:
    """Ask for ``halt`` to be lifted; the ``halt_lift`` policy needs two approvers."""
    with transaction.atomic():
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
        request = approvals.submit(KIND, f"Lift halt {halt.scope} {halt.key}", _snapshot(halt), by)
        halt.lift_request = request
        halt.save(update_fields=["lift_request"])
    return request


def apply_lift(request: ApprovalRequest) -> None:
    """Lift exactly the halt that was approved."""
    halt = Halt.objects.select_for_update().get(lift_request=request)
    approvals.verify(request, _snapshot(halt))
    monitor.lift(halt.halt_id)
    halt.lifted_at = timezone.now()
    halt.save(update_fields=["lifted_at"])
    publish(
        "mamori.custody.halt_lifted",
        {"halt": halt.halt_id, "scope": halt.scope, "key": halt.key, "approval": request.pk},
        event_id=f"halt-lifted-{halt.halt_id}",
    )
