"""API of the deploy gate and the quality plans (SRM 16, 19, 20).

``POST /api/changes/{ref}/gate`` (scope ``changes:gate``) with ``{"artifact_digest": ...}``
answers *go* or *no-go* with every reason and keeps the answer; ``GET
/api/changes/{ref}/gate`` lists the answers given. ``{ref}`` is the change's reference (or
id). ``GET /api/operations/quality-plans`` and ``.../quality-plans/{system}`` (scope
``quality:read``) give the quality plans and their criteria.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import paginate

from mamori.accounts.models import ApiToken, User
from mamori.core.api import Pagination, authenticated, refusals
from mamori.operations.models import GateDecision, QualityPlan
from mamori.operations.services import gate

__all__ = ["changes_router", "quality_router"]

changes_router = Router(tags=["changes"])
quality_router = Router(tags=["operations"])


class GateAskIn(Schema):
    """The artifact the pipeline is about to deploy."""

    artifact_digest: str


class GateReasonOut(Schema):
    """One reason of a *no-go*: machine code, translated message, the facts."""

    code: str
    message: str
    messages: dict[str, str] = {}
    detail: dict[str, Any]


class GateOverrideOut(Schema):
    """The approved override a *go* used, with its reason and approval."""

    reason: str
    approval: int


class GateDecisionOut(Schema):
    """One answer of the deploy gate."""

    id: int
    change: str
    artifact_digest: str
    outcome: str
    reasons: list[GateReasonOut]
    override: GateOverrideOut | None
    asked_at: str


class QualityCriterionOut(Schema):
    """One criterion: metric, level or metric name, threshold (decimal string)."""

    metric: str
    level: str
    threshold: str


class QualityPlanOut(Schema):
    """A system's quality plan."""

    system: str
    notes: str
    updated_at: str
    criteria: list[QualityCriterionOut]


def decision_out(decision: GateDecision) -> dict[str, Any]:
    """Return a gate answer as the API gives it."""
    override = decision.override
    return {
        "id": decision.pk,
        "change": decision.change.reference,
        "artifact_digest": decision.artifact_digest,
        "outcome": decision.outcome,
        "reasons": decision.reasons,
        "override": (
            {"reason": override.reason, "approval": override.approval_id} if override else None
        ),
        "asked_at": decision.asked_at.isoformat(),
    }


@changes_router.post(
    "/{ref}/gate",
    response={200: GateDecisionOut, **refusals(404, 422)},
    auth=authenticated("changes:gate"),
)
def ask_gate(request: HttpRequest, ref: str, payload: GateAskIn) -> dict[str, Any]:
    """Ask the deploy gate for this artifact digest: *go* or *no-go* with every reason."""
    asker = request.auth  # type: ignore[attr-defined]
    if not isinstance(asker, ApiToken | User):
        asker = None
    decision = gate.decide(gate.find_change(ref), payload.artifact_digest, asker, via="api")
    return decision_out(decision)


@changes_router.get(
    "/{ref}/gate",
    response={200: list[GateDecisionOut], **refusals(404, 422)},
    auth=authenticated("changes:gate"),
)
@paginate(Pagination)
def gate_answers(request: HttpRequest, ref: str) -> Any:
    """The gate's answers for the change, newest first."""
    change = gate.find_change(ref)
    rows = change.gate_decisions.select_related("change", "override")
    return [decision_out(d) for d in rows]


def _plan(plan: QualityPlan) -> dict[str, Any]:
    return {
        "system": plan.system.code,
        "notes": plan.notes,
        "updated_at": plan.updated_at.isoformat(),
        "criteria": [
            {"metric": c.metric, "level": c.level, "threshold": str(c.threshold)}
            for c in plan.criteria.all()
        ],
    }


@quality_router.get(
    "/quality-plans",
    response={200: list[QualityPlanOut], **refusals(422)},
    auth=authenticated("quality:read"),
)
@paginate(Pagination)
def quality_plans(request: HttpRequest) -> Any:
    """Every system's quality plan with its criteria."""
    rows = QualityPlan.objects.select_related("system").prefetch_related("criteria")
    return [_plan(p) for p in rows]


@quality_router.get(
    "/quality-plans/{system}",
    response={200: QualityPlanOut, **refusals(404, 422)},
    auth=authenticated("quality:read"),
)
def quality_plan(request: HttpRequest, system: str) -> dict[str, Any]:
    """One system's quality plan with its criteria."""
    return _plan(
        get_object_or_404(QualityPlan.objects.select_related("system"), system__code=system)
    )
