"""Switching a threshold on or off (ISM 27-2): two distinct authorised people approve, as for
lifting a halt, then the monitor takes the changed set.

One person could otherwise switch off the very threshold whose halt needs two people to lift.
The request's snapshot holds the rule, the state it was in and the state asked for; the change
is applied only if the rule is still in the state the request was based on.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.custody.models import ThresholdRule
from mamori.custody.services import halts, monitor
from mamori.engines.threshold import ConfigError

__all__ = ["KIND", "POLICY", "apply_change", "pending_by_rule", "request_switch", "validate"]

KIND = "custody.threshold_change"
#: The policy of lifting a halt: two distinct approvers.
POLICY = halts.POLICY


def _state(rule: ThresholdRule) -> dict[str, bool]:
    return {"active": rule.active}


def pending_by_rule() -> dict[str, ApprovalRequest]:
    """Return the pending change requests, by the code of the rule they would change."""
    pending = ApprovalRequest.objects.filter(kind=KIND, status=ApprovalRequest.Status.PENDING)
    return {str(request.snapshot.get("rule")): request for request in pending.order_by("pk")}


def validate(snapshot: dict[str, Any]) -> None:
    """Refuse a snapshot that is not a rule's code with its current and requested state."""
    current, requested = snapshot.get("current"), snapshot.get("requested")
    if (
        set(snapshot) != {"rule", "current", "requested"}
        or not isinstance(snapshot["rule"], str)
        or not isinstance(current, dict)
        or not isinstance(requested, dict)
        or set(current) != {"active"}
        or set(requested) != {"active"}
        or not isinstance(current["active"], bool)
        or not isinstance(requested["active"], bool)
        or current == requested
    ):
        raise approvals.ApprovalRefused(
            "bad_snapshot",
            "a threshold change is {rule, current: {active}, requested: {active}}, "
            "the requested state differing from the current one",
        )


def request_switch(rule: ThresholdRule, by: User) -> ApprovalRequest:
    """Ask for ``rule`` to be switched off (or on); applied once two people approve."""
    with transaction.atomic():
        rule = ThresholdRule.objects.select_for_update().get(pk=rule.pk)
        waiting = pending_by_rule().get(rule.code)
        if waiting is not None:
            raise approvals.ApprovalRefused(
                "already_requested",
                _("A change of threshold %(code)s already waits for approval: request #%(id)s.")
                % {"code": rule.code, "id": waiting.pk},
            )
        requested = {"active": not rule.active}
        title = f"Switch threshold {rule.code} {'on' if requested['active'] else 'off'}"
        snapshot = {"rule": rule.code, "current": _state(rule), "requested": requested}
        return approvals.submit(KIND, title, snapshot, by)


def apply_change(request: ApprovalRequest) -> None:
    """Apply the approved change, if the rule is still as it was when it was asked; the
    monitor then takes the changed set (an inconsistent set is refused, nothing changed)."""
    snapshot = request.snapshot
    rule = ThresholdRule.objects.select_for_update().filter(code=snapshot["rule"]).first()
    if rule is None:
        raise approvals.ApprovalRefused(
            "stale", _("Threshold %(code)s no longer exists.") % {"code": snapshot["rule"]}
        )
    if _state(rule) != snapshot["current"]:
        raise approvals.ApprovalRefused(
            "stale",
            _(
                "Threshold %(code)s changed since the request was made; "
                "ask again from its current state."
            )
            % {"code": rule.code},
        )
    rule.active = bool(snapshot["requested"]["active"])
    rule.save(update_fields=["active"])
    try:
        monitor.apply_thresholds()
    except ConfigError as exc:
        raise approvals.ApprovalRefused(
            "bad_thresholds",
            _("Thresholds refused, nothing changed: %(e)s") % {"e": exc},
            status=422,
        ) from None
