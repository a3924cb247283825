"""The minimum notice customers get before a maintenance, per criticality (SRM 13-2).

Raising a minimum takes effect at once. Lowering one — giving customers less warning — is a
change of the exchange's rule, so it waits for two officers (policy ``policy_change``) and
never rests on the one manager who asked: :func:`set_minimum` opens the request, the approved
snapshot is applied by :func:`apply_approval`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.operations.models import MaintenanceNoticeRule
from mamori.operations.services.maintenance import DEFAULT_MINIMUM_DAYS

__all__ = ["KIND", "POLICY", "apply_approval", "current_minimum", "pending", "set_minimum"]

KIND = "operations.maintenance_notice_lowered"
POLICY = "policy_change"


def current_minimum(criticality: str) -> int:
    """Return the minimum notice in days for ``criticality`` (the default without a rule)."""
    rule = MaintenanceNoticeRule.objects.filter(criticality=criticality).first()
    return rule.minimum_days if rule else DEFAULT_MINIMUM_DAYS


def pending() -> list[ApprovalRequest]:
    """Return the requests to lower a minimum that wait for their approvals."""
    return list(ApprovalRequest.objects.filter(kind=KIND, status="pending").order_by("pk"))


def _save(criticality: str, days: int) -> MaintenanceNoticeRule:
    rule, _created = MaintenanceNoticeRule.objects.update_or_create(
        criticality=criticality, defaults={"minimum_days": days}
    )
    return rule


def set_minimum(criticality: str, days: int, by: User) -> MaintenanceNoticeRule | ApprovalRequest:
    """Set the minimum notice for ``criticality`` to ``days``: at once when it does not lower
    it; else open the approval request that will (returned)."""
    before = current_minimum(criticality)
    if days >= before:
        with transaction.atomic():
            return _save(criticality, days)
    title = gettext(
        "Lower the minimum maintenance notice for %(criticality)s systems from %(before)s to "
        "%(after)s days"
    ) % {"criticality": criticality, "before": before, "after": days}
    snapshot = {"criticality": criticality, "minimum_days": days, "previous_days": before}
    return approvals.submit(KIND, title, snapshot, by)


def apply_approval(request: ApprovalRequest) -> None:
    """Apply an approved lowering of a minimum notice."""
    snapshot: dict[str, Any] = request.snapshot
    approvals.verify(request, snapshot)
    _save(str(snapshot["criticality"]), int(snapshot["minimum_days"]))
