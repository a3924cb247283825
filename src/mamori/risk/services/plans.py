"""The information safety management plan: compiled from the treatments, decided by the
information security committee and then the board (ISM 19), and the owners' residual-risk
sign-off of it (ISM 20).

The plan is a canonical snapshot with its SHA-256. Approval goes through the platform's
``board_resolution`` policy (committee stage, then two board members; the author never
approves). Once anything in it changes, the approved version is *out of date* and a new
version must be approved; sign-offs are checked against the state they saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.risk.models import Assessment, RiskScenario, SecurityPlan, SignOff
from mamori.risk.models.scenarios import STAGES
from mamori.risk.services import RiskRefused

__all__ = [
    "KIND",
    "OwnerState",
    "apply_plan",
    "compile_snapshot",
    "current_plan",
    "live_snapshot",
    "on_closed",
    "out_of_date",
    "owner_snapshot",
    "owner_states",
    "owners",
    "sign",
    "submit",
]

KIND = "risk.security_plan"
POLICY = "board_resolution"


def _scenario(matrix: Any, scenario: RiskScenario) -> dict[str, Any]:
    treatment = getattr(scenario, "treatment", None)
    levels = {}
    for stage in STAGES:
        rating = scenario.rating(stage)
        levels[stage] = {
            "likelihood": rating.likelihood,
            "impact": rating.impact,
            "level": rating.level(matrix).code,
        }
    entry: dict[str, Any] = {
        "code": scenario.code,
        "name_ja": scenario.name_ja,
        "name_en": scenario.name_en,
        "owner": scenario.owner.username,
        "assets": sorted(a.code for a in scenario.assets.all()),
        "threat": scenario.threat.code,
        "approach": scenario.approach,
        "levels": levels,
        "option": treatment.decided_option if treatment else "",
        "controls": sorted(c.code for c in treatment.controls.all()) if treatment else [],
        "new_controls": treatment.new_controls if treatment else "",
        "rationale": 0,
        "actions": [],
    }
    if treatment:
        latest = treatment.rationales.order_by("-number").first()
        entry["rationale"] = latest.number if latest else 0
        entry["actions"] = [
            {
                "text": a.text,
                "owner": a.owner.username,
                "due": a.due.isoformat(),
                "budget_jpy": str(a.budget_jpy),
            }
            for a in treatment.actions.select_related("owner")
        ]
    return entry


def compile_snapshot(assessment: Assessment) -> dict[str, Any]:
    """Compile the plan from every scenario's decided treatment; refuse if one is undecided."""
    matrix = assessment.matrix.matrix()
    scenarios = (
        assessment.scenarios.select_related("owner", "threat", "treatment")
        .prefetch_related("assets")
        .order_by("code")
    )
    entries = [_scenario(matrix, s) for s in scenarios]
    if not entries:
        raise RiskRefused("empty_plan", "the assessment has no risk scenario yet")
    undecided = [e["code"] for e in entries if not e["option"]]
    if undecided:
        raise RiskRefused(
            "undecided",
            "the plan is compiled from decided treatments; still undecided: "
            + ", ".join(undecided),
        )
    budget = sum((Decimal(a["budget_jpy"]) for e in entries for a in e["actions"]), Decimal(0))
    return {
        "assessment": {"id": assessment.pk, "name": assessment.name},
        "criteria": {
            "code": assessment.matrix.code,
            "version": assessment.matrix.version,
            "acceptance": matrix.acceptance,
        },
        "scenarios": entries,
        "budget_jpy": str(budget),
    }


def submit(assessment: Assessment, by: User) -> SecurityPlan:
    """Compile a new plan version and send it to the committee and the board (ISM 19)."""
    snapshot = compile_snapshot(assessment)
    digest = approvals.snapshot_sha256(snapshot)
    with transaction.atomic():
        Assessment.objects.select_for_update().get(pk=assessment.pk)
        waiting = assessment.plans.filter(status=SecurityPlan.Status.SUBMITTED).first()
        if waiting is not None:
            raise RiskRefused(
                "plan_waiting",
                f"plan version {waiting.version} is still waiting for its decision",
            )
        approved = current_plan(assessment)
        if approved is not None and approved.sha256 == digest:
            raise RiskRefused(
                "plan_unchanged",
                f"nothing changed since version {approved.version} was approved",
            )
        version = (assessment.plans.aggregate(v=Max("version"))["v"] or 0) + 1
        plan = SecurityPlan.objects.create(
            assessment=assessment, version=version, snapshot=snapshot, sha256=digest, author=by
        )
        request = approvals.submit(
            KIND,
            f"情報の安全管理計画 / security plan: {assessment.name} v{version}",
            _approved_content(plan),
            by,
        )
        plan.approval = request
        plan.save(update_fields=["approval"])
    return plan


def _approved_content(plan: SecurityPlan) -> dict[str, Any]:
    """Return what the committee and the board approve: the plan version and its content."""
    return {
        "plan": plan.pk,
        "version": plan.version,
        "sha256": plan.sha256,
        "content": plan.snapshot,
    }


def apply_plan(request: ApprovalRequest) -> None:
    """Mark exactly the approved plan version approved (the approval's own transaction)."""
    plan = SecurityPlan.objects.select_for_update().get(approval=request)
    approvals.verify(request, _approved_content(plan))
    plan.status = SecurityPlan.Status.APPROVED
    plan.approved_at = timezone.now()
    plan.save(update_fields=["status", "approved_at"])


def on_closed(request: ApprovalRequest) -> None:
    """Record a rejected or expired plan version."""
    if request.kind != KIND or request.status == ApprovalRequest.Status.APPROVED:
        return
    status = (
        SecurityPlan.Status.REJECTED
        if request.status == ApprovalRequest.Status.REJECTED
        else SecurityPlan.Status.EXPIRED
    )
    SecurityPlan.objects.filter(approval=request, status=SecurityPlan.Status.SUBMITTED).update(
        status=status
    )


def current_plan(assessment: Assessment) -> SecurityPlan | None:
    """Return the newest approved plan version of ``assessment``."""
    return assessment.plans.filter(status=SecurityPlan.Status.APPROVED).order_by("-version").first()


def live_snapshot(assessment: Assessment) -> dict[str, Any] | None:
    """Return the plan the assessment's risks make now, or None while it cannot be compiled
    (a risk without a decided treatment). Compile it once and pass it to :func:`out_of_date`
    and :func:`owner_states`."""
    try:
        return compile_snapshot(assessment)
    except RiskRefused:
        return None


def out_of_date(plan: SecurityPlan, live: dict[str, Any] | None) -> bool:
    """Whether the risks, treatments or actions changed since ``plan`` was compiled, given
    the ``live`` snapshot of :func:`live_snapshot`."""
    return live is None or approvals.snapshot_sha256(live) != plan.sha256


def owners(plan: SecurityPlan) -> list[str]:
    """Return the usernames of the risk owners the plan names."""
    return sorted({s["owner"] for s in plan.snapshot["scenarios"]})


def owner_snapshot(snapshot: dict[str, Any], owner: str, version: int) -> dict[str, Any]:
    """Return what one owner signs: their scenarios' levels, controls and actions."""
    return {
        "plan_version": version,
        "criteria": snapshot["criteria"],
        "owner": owner,
        "scenarios": [s for s in snapshot["scenarios"] if s["owner"] == owner],
    }


def sign(plan: SecurityPlan, owner: User, explained_by: User, comment: str = "") -> SignOff:
    """Record ``owner``'s acceptance of their residual risks under ``plan`` (ISM 20)."""
    if plan.status != SecurityPlan.Status.APPROVED:
        raise RiskRefused("plan_not_approved", f"plan version {plan.version} is not approved")
    latest = current_plan(plan.assessment)
    if latest is None or latest.pk != plan.pk:
        raise RiskRefused("plan_superseded", "sign the newest approved plan version")
    if owner.username not in owners(plan):
        raise RiskRefused(
            "not_owner",
            f"{owner.username} owns no risk in plan version {plan.version}: only the named "
            "risk owners sign off",
        )
    if explained_by.pk == owner.pk:
        raise RiskRefused("self_explained", "the residual risks are explained by someone else")
    if out_of_date(plan, live_snapshot(plan.assessment)):
        raise RiskRefused(
            "plan_out_of_date",
            f"the risks changed after plan version {plan.version} was approved: a new version "
            "must be approved before sign-off",
        )
    snapshot = owner_snapshot(plan.snapshot, owner.username, plan.version)
    now = timezone.now()
    return SignOff.objects.create(
        plan=plan,
        owner=owner,
        explained_by=explained_by,
        snapshot=snapshot,
        sha256=approvals.snapshot_sha256(snapshot),
        comment=comment,
        signed_at=now,
        expires_at=now + timedelta(days=settings.CONFIG.signoff_days),
    )


@dataclass(frozen=True)
class OwnerState:
    """Where one owner stands: ``valid``, ``missing``, ``expired`` or ``changed``."""

    owner: str
    state: str
    signoff: SignOff | None


def owner_states(plan: SecurityPlan, live: dict[str, Any] | None) -> list[OwnerState]:
    """Return each named owner's sign-off state against the ``live`` snapshot of
    :func:`live_snapshot` (None: nothing signed still holds)."""
    if live is None:
        live = {"criteria": plan.snapshot["criteria"], "scenarios": []}
    now = timezone.now()
    latest: dict[str, SignOff] = {}
    for signoff in plan.signoffs.select_related("owner").order_by("signed_at"):
        latest[signoff.owner.username] = signoff
    states = []
    for owner in owners(plan):
        signed = latest.get(owner)
        if signed is None:
            states.append(OwnerState(owner, "missing", None))
        elif signed.expires_at <= now:
            states.append(OwnerState(owner, "expired", signed))
        elif approvals.snapshot_sha256(owner_snapshot(live, owner, plan.version)) != signed.sha256:
            states.append(OwnerState(owner, "changed", signed))
        else:
            states.append(OwnerState(owner, "valid", signed))
    return states
