"""API of risk management: the inventory, the register, ratings, signals, plan and sign-off.

Services use tokens: ``risk:read`` to read, ``risk:write`` to upsert assets, analyse and rate
risks and send monitoring signals. Decisions that only a person may make — the owner's
treatment decision and residual-risk sign-off, recommending, sending the plan — need the
person's signed-in session (``StaffSession``), never a token. A refusal answers the error body
with its code (``bad_rating``, ``asset_exists`` …): 422 refused input, 409 a conflict, 404 not
found, 403 a department the caller does not manage.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema
from ninja.responses import Status

from mamori.accounts.models import Department, User
from mamori.accounts.services.roles import has_permission
from mamori.core import api as core_api
from mamori.core.api import acting_person, authenticated, people_only, refusals
from mamori.engines.risk import Rating
from mamori.risk.models import (
    Assessment,
    ExternalIncident,
    InformationAsset,
    RiskScenario,
    SecurityPlan,
    Threat,
    Vulnerability,
)
from mamori.risk.models.scenarios import BUDGET_DIGITS, STAGES
from mamori.risk.services import RiskRefused, monitoring, plans, scenarios
from mamori.risk.services.inventory import asset_fields, departments_refused, scenario_refused
from mamori.rulebook.models import Control

__all__ = ["router"]

router = Router(tags=["risk"])


def _person(request: HttpRequest) -> User:
    auth = request.auth  # type: ignore[attr-defined]
    if not isinstance(auth, User):
        raise RiskRefused("forbidden", "only a signed-in person may do this, not a token", 403)
    return auth


class AssetIn(Schema):
    """An information asset (ISM 14-2, 21)."""

    code: str
    name_ja: str
    name_en: str = ""
    kind: str
    classification: str
    value: int
    owner: str
    custodian: str = ""
    location_kind: str
    location: str = ""
    categories: list[str] = []
    confidential_kinds: list[str] = []


class RatingIn(Schema):
    """A likelihood and an impact on the assessment's scales."""

    likelihood: int
    impact: int


class ScenarioIn(Schema):
    """A risk to analyse (ISM 14-1, 15)."""

    code: str
    name_ja: str
    name_en: str = ""
    threat: str
    assets: list[str]
    owner: str
    approach: str
    approach_note: str = ""
    vulnerabilities: list[str] = []
    incidents: list[str] = []
    baseline_controls: list[str] = []
    threat_level: int | None = None
    requirement: str = ""
    inherent: RatingIn
    current: RatingIn


class RateIn(Schema):
    """A change of one rating and why."""

    stage: str
    likelihood: int
    impact: int
    reason: str


class RecommendIn(Schema):
    """The security team's recommendation."""

    option: str
    recommendation: str
    controls: list[str] = []
    new_controls: str = ""


class DecideIn(Schema):
    """The owner's decision and the residual rating."""

    option: str
    residual: RatingIn
    rationale: str


BUDGET = core_api.explain_pattern(
    rf"^[0-9]{{1,{BUDGET_DIGITS}}}$",
    gettext_lazy("must be whole yen: digits only, no sign, point or separator, at most 15 digits"),
)


class ActionIn(Schema):
    """An action of the plan."""

    text: str
    owner: str
    due: date
    budget_jpy: str = Field(default="0", pattern=BUDGET)


class SignalIn(Schema):
    """A result of an automated control (ISM 12-3)."""

    event_id: str
    kind: str
    summary: str
    details: dict[str, Any] = {}


class SignOffIn(Schema):
    """A sign-off: who explained the residual risks."""

    explained_by: str
    comment: str = ""


class AssetOut(Schema):
    """An information asset as the inventory holds it (owner a user name, custodian a
    department code)."""

    code: str
    name_ja: str
    name_en: str
    kind: str
    classification: str
    value: int
    owner: str
    custodian: str
    location_kind: str
    location: str
    categories: list[str]
    confidential_kinds: list[str]


class LevelOut(Schema):
    """A rating at one stage and the level it reaches on the assessment's criteria."""

    likelihood: int
    impact: int
    level: str


class ScenarioOut(Schema):
    """A risk of the register: its ratings per stage (``inherent``, ``current``,
    ``residual``), its rank when listed, and its treatment so far."""

    id: int
    code: str
    name_ja: str
    name_en: str
    owner: str
    threat: str
    approach: str
    levels: dict[str, LevelOut]
    priority: int | None
    within_acceptance: bool | None
    recommended: str
    decided: str
    needs_review: bool


class RegisterOut(Schema):
    """The register of an assessment in order of treatment, and its heat maps' counts
    (per stage, rows of cells)."""

    assessment: int
    criteria: str
    scenarios: list[ScenarioOut]
    heat_maps: dict[str, list[list[int]]]


class ActionOut(Schema):
    """An action added to a treatment; the budget in whole yen, as a decimal string."""

    id: int
    budget_jpy: str


class SignalOut(Schema):
    """A monitoring signal taken (201: the risks it touched) or a repeat (200,
    ``duplicate``)."""

    event_id: str
    duplicate: bool = False
    scenarios: list[Any] = []


class PlanOut(Schema):
    """A plan version and where it stands; the newest approved one also says whether the
    risks changed since (``out_of_date``) and each owner's sign-off state."""

    id: int
    version: int
    status: str
    sha256: str
    approval: int | None
    out_of_date: bool | None
    signoffs: dict[str, str]


class SignOffOut(Schema):
    """A residual-risk sign-off: the hash of what was signed and when it lapses."""

    id: int
    sha256: str
    expires_at: datetime


def _asset(a: InformationAsset) -> dict[str, Any]:
    return {
        "code": a.code,
        "name_ja": a.name_ja,
        "name_en": a.name_en,
        "kind": a.kind,
        "classification": a.classification,
        "value": a.value,
        "owner": a.owner.username,
        "custodian": a.custodian.code if a.custodian else "",
        "location_kind": a.location_kind,
        "location": a.location,
        "categories": a.categories,
        "confidential_kinds": a.confidential_kinds,
    }


def _scenario(s: RiskScenario, rank: Any = None) -> dict[str, Any]:
    matrix = s.assessment.matrix.matrix()
    treatment = getattr(s, "treatment", None)
    return {
        "id": s.pk,
        "code": s.code,
        "name_ja": s.name_ja,
        "name_en": s.name_en,
        "owner": s.owner.username,
        "threat": s.threat.code,
        "approach": s.approach,
        "levels": {
            stage: {
                "likelihood": s.rating(stage).likelihood,
                "impact": s.rating(stage).impact,
                "level": s.rating(stage).level(matrix).code,
            }
            for stage in STAGES
        },
        "priority": rank.priority if rank else None,
        "within_acceptance": rank.within_acceptance if rank else None,
        "recommended": treatment.recommended_option if treatment else "",
        "decided": treatment.decided_option if treatment else "",
        "needs_review": s.needs_review,
    }


def _user(username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise RiskRefused("unknown_user", f"no active person {username!r}")
    return user


def _codes(model: Any, codes: list[str], what: str) -> list[Any]:
    found = {o.code: o for o in model.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise RiskRefused(f"unknown_{what}", ", ".join(unknown))
    return [found[c] for c in codes]


@router.get("/assets", response=list[AssetOut], auth=authenticated("risk:read"))
def list_assets(request: HttpRequest) -> list[dict[str, Any]]:
    """Return the inventory."""
    return [_asset(a) for a in InformationAsset.objects.select_related("owner", "custodian")]


def _write_asset(
    request: HttpRequest, body: AssetIn, current: InformationAsset | None
) -> InformationAsset:
    """Check ``body`` and the caller's departments, then create or change the asset."""
    who = acting_person(request, "risk.manage")
    fields, problems = asset_fields(
        body.dict(),
        lambda name: User.objects.filter(username=name, is_active=True).first(),
        lambda code: Department.objects.filter(code=code).first(),
    )
    if problems:
        raise RiskRefused("bad_asset", "; ".join(problems))
    refused = departments_refused(who, current, fields)
    if refused:
        raise RiskRefused("forbidden", "; ".join(refused), 403)
    if current is None:
        return InformationAsset.objects.create(code=body.code, **fields)
    for name, value in fields.items():
        setattr(current, name, value)
    current.save()
    return current


@router.post(
    "/assets",
    response={201: AssetOut, **refusals(403, 409, 422)},
    auth=authenticated("risk:write"),
)
def add_asset(request: HttpRequest, body: AssetIn) -> Status[dict[str, Any]]:
    """Add an asset; every bad field is named, and a code already in use is refused (409):
    change an asset with ``PUT /assets/{code}``."""
    if InformationAsset.objects.filter(code=body.code).exists():
        raise RiskRefused("asset_exists", f"{body.code!r} is already in the inventory", 409)
    return Status(201, _asset(_write_asset(request, body, None)))


@router.put(
    "/assets/{code}",
    response={200: AssetOut, **refusals(403, 404, 422)},
    auth=authenticated("risk:write"),
)
def change_asset(request: HttpRequest, code: str, body: AssetIn) -> dict[str, Any]:
    """Change the asset ``code`` (the body's code must be the same); every bad field is named.
    A role held for one department changes that department's assets only."""
    current = get_object_or_404(InformationAsset.objects.select_related("owner"), code=code)
    if body.code != code:
        raise RiskRefused("code_mismatch", f"the body names {body.code!r}, the path {code!r}")
    return _asset(_write_asset(request, body, current))


def _assessment(assessment_id: int | None) -> Assessment:
    if assessment_id is not None:
        return get_object_or_404(Assessment.objects.select_related("matrix"), pk=assessment_id)
    latest = Assessment.newest()
    if latest is None:
        raise RiskRefused("no_assessment", "no risk assessment yet", 404)
    return latest


@router.get(
    "/scenarios", response={200: RegisterOut, **refusals(404, 422)}, auth=authenticated("risk:read")
)
def list_scenarios(
    request: HttpRequest, assessment: int | None = None, stage: str = "current"
) -> dict[str, Any]:
    """Return the register in order of treatment and the heat map counts."""
    found = _assessment(assessment)
    if stage not in STAGES:
        raise RiskRefused("bad_stage", "inherent, current or residual")
    ranked = scenarios.ranking(found, stage)
    maps = {
        m["stage"]: [[c["count"] for c in row["cells"]] for row in m["rows"]]
        for m in scenarios.heat_maps(found)
    }
    return {
        "assessment": found.pk,
        "criteria": f"{found.matrix.code} v{found.matrix.version}",
        "scenarios": [_scenario(s, r) for s, r in ranked],
        "heat_maps": maps,
    }


@router.post(
    "/assessments/{assessment_id}/scenarios",
    response={201: ScenarioOut, **refusals(403, 404, 422)},
    auth=authenticated("risk:write"),
)
def add_scenario(
    request: HttpRequest, assessment_id: int, body: ScenarioIn
) -> Status[dict[str, Any]]:
    """Analyse a new risk."""
    who = acting_person(request, "risk.manage")
    found = _assessment(assessment_id)
    threat = _codes(Threat, [body.threat], "threat")[0]
    _managed(who, InformationAsset.objects.filter(code__in=body.assets))
    draft = scenarios.ScenarioInput(
        code=body.code,
        name_ja=body.name_ja,
        name_en=body.name_en,
        threat=threat,
        assets=_codes(InformationAsset, body.assets, "asset"),
        owner=_user(body.owner),
        approach=body.approach,
        approach_note=body.approach_note,
        inherent=Rating(body.inherent.likelihood, body.inherent.impact),
        current=Rating(body.current.likelihood, body.current.impact),
        vulnerabilities=_codes(Vulnerability, body.vulnerabilities, "vulnerability"),
        incidents=_codes(ExternalIncident, body.incidents, "incident"),
        baseline_controls=_codes(Control, body.baseline_controls, "control"),
        threat_level=body.threat_level,
        requirement=body.requirement,
    )
    created = scenarios.create(found, draft, who)
    return Status(201, _scenario(created))


def _one(scenario_id: int) -> RiskScenario:
    return get_object_or_404(
        RiskScenario.objects.select_related("assessment__matrix", "owner", "threat"),
        pk=scenario_id,
    )


def _managed(who: User | None, assets: Any) -> None:
    """Refuse (403) a change of a risk on assets of a department ``who`` does not manage."""
    refused = scenario_refused(who, assets.select_related("custodian", "owner__department"))
    if refused:
        raise RiskRefused("forbidden", "; ".join(refused), 403)


def _one_managed(scenario_id: int, who: User | None) -> RiskScenario:
    """Return the scenario, refusing one on assets of a department ``who`` does not manage."""
    scenario = _one(scenario_id)
    _managed(who, scenario.assets.all())
    return scenario


#: The answers of a change to one risk: the risk as it stands, or a refusal.
CHANGED = {200: ScenarioOut, **refusals(403, 404, 422)}


@router.post("/scenarios/{scenario_id}/ratings", response=CHANGED, auth=authenticated("risk:write"))
def rate(request: HttpRequest, scenario_id: int, body: RateIn) -> dict[str, Any]:
    """Change one rating, recorded with its reason."""
    who = acting_person(request, "risk.manage")
    scenario = _one_managed(scenario_id, who)
    scenarios.rate(scenario, body.stage, Rating(body.likelihood, body.impact), body.reason, who)
    return _scenario(_one(scenario_id))


@router.post(
    "/scenarios/{scenario_id}/recommendation", response=CHANGED, auth=people_only("risk.manage")
)
def recommend(request: HttpRequest, scenario_id: int, body: RecommendIn) -> dict[str, Any]:
    """The security team recommends a treatment (a person, with risk.manage)."""
    who = _person(request)
    scenarios.recommend(
        _one_managed(scenario_id, who),
        body.option,
        body.recommendation,
        _codes(Control, body.controls, "control"),
        body.new_controls,
        who,
    )
    return _scenario(_one(scenario_id))


@router.post("/scenarios/{scenario_id}/decision", response=CHANGED, auth=people_only("risk.own"))
def decide(request: HttpRequest, scenario_id: int, body: DecideIn) -> dict[str, Any]:
    """The risk owner decides the treatment (only that person, signed in)."""
    scenarios.decide(
        _one(scenario_id),
        body.option,
        Rating(body.residual.likelihood, body.residual.impact),
        body.rationale,
        _person(request),
    )
    return _scenario(_one(scenario_id))


@router.post(
    "/scenarios/{scenario_id}/actions",
    response={201: ActionOut, **refusals(403, 404, 422)},
    auth=people_only("risk.manage"),
)
def add_action(request: HttpRequest, scenario_id: int, body: ActionIn) -> Status[dict[str, Any]]:
    """Add an action to a scenario's treatment."""
    who = _person(request)
    scenario = _one_managed(scenario_id, who)
    treatment = getattr(scenario, "treatment", None)
    if treatment is None:
        raise RiskRefused("no_recommendation", "the security team has not recommended yet")
    action = scenarios.add_action(
        treatment, body.text, _user(body.owner), body.due, body.budget_jpy, who
    )
    return Status(201, {"id": action.pk, "budget_jpy": str(action.budget_jpy)})


@router.post(
    "/signals",
    response={201: SignalOut, 200: SignalOut, **refusals(422)},
    auth=authenticated("risk:write"),
)
def signal(request: HttpRequest, body: SignalIn) -> Status[dict[str, Any]]:
    """Take a monitoring signal once by event id; a repeat is 200 and changes nothing."""
    acting_person(request, "risk.manage")
    taken = monitoring.take(body.event_id, body.kind, body.summary, body.details)
    if taken is None:
        return Status(200, {"event_id": body.event_id, "duplicate": True})
    return Status(201, {"event_id": body.event_id, "scenarios": taken.scenarios})


def _plans(assessment: Assessment, listed: list[SecurityPlan]) -> list[dict[str, Any]]:
    """Describe ``listed``; the newest approved one also with its standing now."""
    current = plans.current_plan(assessment)
    live = plans.live_snapshot(assessment) if current in listed else None
    return [
        {
            "id": plan.pk,
            "version": plan.version,
            "status": plan.status,
            "sha256": plan.sha256,
            "approval": plan.approval_id,
            "out_of_date": plans.out_of_date(plan, live) if plan == current else None,
            "signoffs": {s.owner: s.state for s in plans.owner_states(plan, live)}
            if plan == current
            else {},
        }
        for plan in listed
    ]


@router.get(
    "/plans", response={200: list[PlanOut], **refusals(404, 422)}, auth=authenticated("risk:read")
)
def list_plans(request: HttpRequest, assessment: int | None = None) -> list[dict[str, Any]]:
    """Return the plan versions of an assessment (newest first) with their state."""
    found = _assessment(assessment)
    return _plans(found, list(found.plans.all()))


@router.post(
    "/assessments/{assessment_id}/plans",
    response={201: PlanOut, **refusals(403, 404, 422)},
    auth=people_only("risk.manage"),
)
def submit_plan(request: HttpRequest, assessment_id: int) -> Status[dict[str, Any]]:
    """Compile a plan version and send it to the committee and the board."""
    who = _person(request)
    if not has_permission(who, "risk.manage"):
        raise RiskRefused("forbidden", "your roles do not grant risk.manage", 403)
    plan = plans.submit(_assessment(assessment_id), who)
    return Status(201, _plans(plan.assessment, [plan])[0])


@router.post(
    "/plans/{plan_id}/signoff",
    response={201: SignOffOut, **refusals(403, 404, 422)},
    auth=people_only("risk.own"),
)
def sign_off(request: HttpRequest, plan_id: int, body: SignOffIn) -> Status[dict[str, Any]]:
    """The signed-in risk owner signs off their residual risks under this plan."""
    plan = get_object_or_404(SecurityPlan.objects.select_related("assessment"), pk=plan_id)
    signed = plans.sign(plan, _person(request), _user(body.explained_by), body.comment)
    return Status(201, {"id": signed.pk, "sha256": signed.sha256, "expires_at": signed.expires_at})
