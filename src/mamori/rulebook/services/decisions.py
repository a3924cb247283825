"""Manual compliance status, effective only through an approval (override, not applicable)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.rulebook.models import Requirement, StatusDecision

__all__ = ["POLICY", "apply_decision", "request_decision", "withdraw"]

POLICY = "compliance_override"
KIND = "rulebook.status_decision"


def request_decision(
    requirement: Requirement, status: str, justification: str, by: User
) -> StatusDecision:
    """Ask for ``status`` to be recorded for ``requirement``; it takes effect once approved."""
    if status not in StatusDecision.Status.values:
        raise approvals.ApprovalRefused(
            "bad_status", _("unknown status %(status)r") % {"status": status}, status=422
        )
    if not requirement.is_requirement:
        raise approvals.ApprovalRefused(
            "not_a_requirement",
            _("%(requirement)s states no obligation to assess")
            % {"requirement": requirement.label},
            status=422,
        )
    justification = justification.strip()
    if len(justification) < 10:
        raise approvals.ApprovalRefused(
            "justification_required", _("say why, in at least 10 characters"), status=422
        )
    with transaction.atomic():
        request = approvals.submit(
            KIND,
            f"Compliance status of {requirement.label}: {status}",
            {"urn": requirement.urn, "status": status, "justification": justification},
            by,
        )
        return StatusDecision.objects.create(
            requirement=requirement,
            status=status,
            justification=justification,
            requested_by=by,
            requested_at=timezone.now(),
            approval=request,
        )


def apply_decision(request: ApprovalRequest) -> None:
    """Make the approved decision effective (the approved snapshot must match the row)."""
    decision = StatusDecision.objects.select_for_update().get(approval=request)
    approvals.verify(
        request,
        {
            "urn": decision.requirement.urn,
            "status": decision.status,
            "justification": decision.justification,
        },
    )
    now = timezone.now()
    StatusDecision.objects.filter(
        requirement=decision.requirement, effective_at__isnull=False, withdrawn_at__isnull=True
    ).update(withdrawn_at=now)
    decision.effective_at = now
    decision.save(update_fields=["effective_at"])


def withdraw(decision: StatusDecision) -> None:
    """End an effective decision: the status is derived from the controls again."""
    decision.withdrawn_at = timezone.now()
    decision.save(update_fields=["withdrawn_at"])
