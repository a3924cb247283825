"""The rules of change control, changed only with two officers' approval (SRM 11-3, 17, 22).

Which approval entering a stage needs for each kind of change (:class:`StageRule`) decides
what every change is held to. A manager proposes a new rule; it takes effect only once approved
under ``policy_change`` — never by the one person who asked, whether it tightens or loosens:
:func:`propose_rule` opens the request, :func:`apply_approval` applies the approved snapshot.
The time limits after a release (:class:`ChangeSetting`) are one of the operations settings,
proposed and applied the same way by :mod:`mamori.operations.services.operations_settings`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from mamori.accounts.models import ApprovalPolicy, ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.core.errors import Refused
from mamori.operations.models import Change, StageRule
from mamori.operations.services.changes import FLOW, stage_label

__all__ = [
    "KIND",
    "POLICY",
    "RULED_STAGES",
    "RuleRefused",
    "apply_approval",
    "pending",
    "propose_rule",
    "rules",
]

KIND = "operations.change_rules"
POLICY = "policy_change"
#: The stages a rule may ask an approval for (entering them).
RULED_STAGES = tuple(s for s in FLOW if s not in (Change.Stage.PLAN,))


class RuleRefused(Refused):
    """A proposed rule refused; ``code`` is stable for machines."""


def rules() -> list[dict[str, Any]]:
    """Every kind × ruled stage, with what entering it needs now."""
    found = {(r.kind, r.stage): r for r in StageRule.objects.all()}
    table = []
    for kind in Change.Kind:
        for stage in RULED_STAGES:
            rule = found.get((kind.value, stage.value))
            table.append(
                {
                    "kind": kind.value,
                    "kind_label": kind.label,
                    "stage": stage.value,
                    "stage_label": stage_label(stage),
                    "needs_approval": bool(rule and rule.needs_approval),
                    "policy": rule.policy if rule and rule.needs_approval else "",
                    "after_the_fact": bool(rule and rule.needs_approval and rule.after_the_fact),
                }
            )
    return table


def pending() -> list[ApprovalRequest]:
    """The proposed rules waiting for their approvals."""
    return list(ApprovalRequest.objects.filter(kind=KIND, status="pending").order_by("pk"))


def _current_rule(kind: str, stage: str) -> dict[str, Any]:
    rule = StageRule.objects.filter(kind=kind, stage=stage).first()
    if rule is None or not rule.needs_approval:
        return {"needs_approval": False, "policy": "", "after_the_fact": False}
    return {
        "needs_approval": True,
        "policy": rule.policy,
        "after_the_fact": rule.after_the_fact,
    }


def _refuse_if_pending(what: str) -> None:
    for request in pending():
        if request.snapshot.get("what") == what:
            raise RuleRefused(
                "already_pending",
                gettext("Request #%(id)s already proposes this; it is decided first.")
                % {"id": request.pk},
                status=409,
            )


def propose_rule(
    kind: str, stage: str, needs_approval: bool, policy: str, after_the_fact: bool, by: User
) -> ApprovalRequest:
    """Propose what entering ``stage`` needs for a change of ``kind``; return the approval
    request that will apply it."""
    if kind not in Change.Kind.values or stage not in [s.value for s in RULED_STAGES]:
        raise RuleRefused(
            "bad_rule",
            gettext("Expected a kind of change and a stage after planning."),
            fields=[("stage", gettext("Choose a stage after planning."))],
        )
    if needs_approval and not ApprovalPolicy.objects.filter(code=policy).exists():
        raise RuleRefused(
            "unknown_policy",
            gettext("No approval policy %(policy)s.") % {"policy": policy[:50] or "-"},
            fields=[("policy", gettext("Choose one of the approval policies."))],
        )
    if after_the_fact and needs_approval and kind != Change.Kind.EMERGENCY:
        raise RuleRefused(
            "after_the_fact_emergency_only",
            gettext(
                "Only an emergency change may be released before its approvals: for a "
                "%(kind)s change this would drop the approval."
            )
            % {"kind": Change.Kind(kind).label},
            fields=[("after_the_fact", gettext("Only for emergency changes."))],
        )
    after = {
        "needs_approval": needs_approval,
        "policy": policy if needs_approval else "",
        "after_the_fact": after_the_fact and needs_approval,
    }
    before = _current_rule(kind, stage)
    if after == before:
        raise RuleRefused("nothing_changes", gettext("The rule already says this."))
    what = f"rule:{kind}:{stage}"
    _refuse_if_pending(what)
    title = gettext("Change the rule for entering %(stage)s of a %(kind)s change") % {
        "stage": stage_label(stage),
        "kind": Change.Kind(kind).label,
    }
    snapshot = {"what": what, "kind": kind, "stage": stage, "rule": after, "previous": before}
    return approvals.submit(KIND, title, snapshot, by)


def validate(snapshot: dict[str, Any]) -> None:
    """Refuse a snapshot that is not a stage rule."""
    if not str(snapshot.get("what", "")).startswith("rule:"):
        raise RuleRefused(
            "bad_rule", gettext("Expected a kind of change and a stage after planning.")
        )


def apply_approval(request: ApprovalRequest) -> None:
    """Apply an approved rule: exactly the snapshot approved, and only if the rule is still
    what the officers saw beside it (else it is proposed again)."""
    snapshot: dict[str, Any] = request.snapshot
    approvals.verify(request, snapshot)
    if _current_rule(snapshot["kind"], snapshot["stage"]) != snapshot["previous"]:
        raise RuleRefused(
            "stale",
            gettext(
                "The rule changed since request #%(id)s was made: what it would replace is "
                "not what is in force. Propose it again."
            )
            % {"id": request.pk},
            status=409,
        )
    with transaction.atomic():
        rule = snapshot["rule"]
        StageRule.objects.update_or_create(
            kind=snapshot["kind"],
            stage=snapshot["stage"],
            defaults={
                "needs_approval": bool(rule["needs_approval"]),
                "policy": str(rule["policy"]),
                "after_the_fact": bool(rule["after_the_fact"]),
            },
        )
