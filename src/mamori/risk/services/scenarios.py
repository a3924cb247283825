"""Risk scenarios: analysis, ratings with their history, ranking and heat maps (ISM 14–16),
treatment decided by the owner on the security team's recommendation (ISM 17, 18)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from mamori.accounts.models import User
from mamori.accounts.services.roles import has_permission
from mamori.engines.risk import Matrix, Option, Rating, RatingError, rank, treatment_problem
from mamori.risk.models import (
    Assessment,
    ExternalIncident,
    InformationAsset,
    LevelChange,
    Rationale,
    RiskScenario,
    Threat,
    Treatment,
    TreatmentAction,
    Vulnerability,
)
from mamori.risk.models.scenarios import BUDGET_DIGITS, STAGES
from mamori.risk.services import RiskRefused
from mamori.rulebook.models import Control

__all__ = [
    "ScenarioInput",
    "add_action",
    "add_rationale",
    "create",
    "decide",
    "heat_maps",
    "problems",
    "ranking",
    "rate",
    "recommend",
    "review",
]


@dataclass(frozen=True)
class ScenarioInput:
    """What analysing a risk needs (ISM 14-1, 15-1, 15-2)."""

    code: str
    name_ja: str
    name_en: str
    threat: Threat
    assets: Sequence[InformationAsset]
    owner: User
    approach: str
    inherent: Rating
    current: Rating
    approach_note: str = ""
    vulnerabilities: Sequence[Vulnerability] = ()
    incidents: Sequence[ExternalIncident] = ()
    baseline_controls: Sequence[Control] = ()
    threat_level: int | None = None
    requirement: str = ""


def _matrix(assessment: Assessment) -> Matrix:
    return assessment.matrix.matrix()


def _rating_problem(matrix: Matrix, rating: Rating, what: str) -> str | None:
    try:
        matrix.check(rating.likelihood, rating.impact)
    except RatingError as error:
        return f"{what}: {error}"
    return None


def _checked_rating(matrix: Matrix, rating: Rating, what: str) -> None:
    problem = _rating_problem(matrix, rating, what)
    if problem:
        raise RiskRefused("bad_rating", problem)


def problems(assessment: Assessment, data: ScenarioInput) -> list[str]:
    """Return every reason ``data`` cannot be analysed in ``assessment`` (empty: it can)."""
    matrix = _matrix(assessment)
    found = [
        problem
        for stage, rating in (("inherent", data.inherent), ("current", data.current))
        if (problem := _rating_problem(matrix, rating, stage))
    ]
    if assessment.status != Assessment.Status.IN_PROGRESS:
        found.append(f"assessment {assessment.name} is completed: start a new one")
    if not data.code.strip():
        found.append("a scenario needs a code")
    if not data.assets:
        found.append("a scenario names at least one information asset (ISM 14-2)")
    if not has_permission(data.owner, "risk.own"):
        found.append(f"{data.owner.username} holds no role that may own a risk (ISM 14-1)")
    if data.approach not in RiskScenario.Approach.values:
        found.append(f"unknown approach {data.approach!r}")
    elif data.approach == RiskScenario.Approach.BASELINE and not data.baseline_controls:
        found.append("the baseline approach names the rulebook controls it was checked against")
    elif data.approach != RiskScenario.Approach.BASELINE and not data.approach_note.strip():
        found.append(f"the {data.approach} approach needs its rationale written down")
    if data.approach == RiskScenario.Approach.DETAILED:
        if data.threat_level is None or not 1 <= data.threat_level <= 5:
            found.append("the detailed approach rates the threat 1–5 (15-2-3)")
        if not data.requirement.strip():
            found.append("the detailed approach states the security requirement (15-2-3)")
    return found


def create(assessment: Assessment, data: ScenarioInput, by: User | None) -> RiskScenario:
    """Analyse a new risk: residual starts equal to current until a treatment is decided."""
    matrix = _matrix(assessment)
    found = problems(assessment, data)
    if found:
        raise RiskRefused("bad_scenario", "; ".join(found))
    if RiskScenario.objects.filter(assessment=assessment, code=data.code).exists():
        raise RiskRefused("duplicate", f"scenario {data.code} already exists in this assessment")
    with transaction.atomic():
        scenario = RiskScenario.objects.create(
            assessment=assessment,
            code=data.code.strip(),
            name_ja=data.name_ja,
            name_en=data.name_en or data.name_ja,
            threat=data.threat,
            owner=data.owner,
            approach=data.approach,
            approach_note=data.approach_note,
            threat_level=data.threat_level,
            requirement=data.requirement,
            inherent_likelihood=data.inherent.likelihood,
            inherent_impact=data.inherent.impact,
            current_likelihood=data.current.likelihood,
            current_impact=data.current.impact,
            residual_likelihood=data.current.likelihood,
            residual_impact=data.current.impact,
        )
        scenario.assets.set(data.assets)
        scenario.vulnerabilities.set(data.vulnerabilities)
        scenario.incidents.set(data.incidents)
        scenario.baseline_controls.set(data.baseline_controls)
        for stage in STAGES:
            _record(scenario, matrix, stage, None, scenario.rating(stage), "analysed", "manual", by)
    return scenario


def _record(
    scenario: RiskScenario,
    matrix: Matrix,
    stage: str,
    old: Rating | None,
    new: Rating,
    reason: str,
    source: str,
    by: User | None,
) -> None:
    LevelChange.objects.create(
        scenario=scenario,
        stage=stage,
        old_likelihood=old.likelihood if old else None,
        old_impact=old.impact if old else None,
        old_level=old.level(matrix).code if old else "",
        new_likelihood=new.likelihood,
        new_impact=new.impact,
        new_level=new.level(matrix).code,
        reason=reason,
        source=source,
        actor=by,
    )


def rate(
    scenario: RiskScenario,
    stage: str,
    rating: Rating,
    reason: str,
    by: User | None,
    source: str = LevelChange.Source.MANUAL,
) -> bool:
    """Change one rating and record why; return whether anything changed (ISM 12-3)."""
    if stage not in STAGES:
        raise RiskRefused("bad_stage", f"stage is one of {', '.join(STAGES)}, got {stage!r}")
    if not reason.strip():
        raise RiskRefused("no_reason", "a change of rating says why")
    matrix = _matrix(scenario.assessment)
    _checked_rating(matrix, rating, stage)
    with transaction.atomic():
        scenario = RiskScenario.objects.select_for_update().get(pk=scenario.pk)
        old = scenario.rating(stage)
        if old == rating:
            return False
        setattr(scenario, f"{stage}_likelihood", rating.likelihood)
        setattr(scenario, f"{stage}_impact", rating.impact)
        scenario.save()
        _record(scenario, matrix, stage, old, rating, reason, source, by)
    return True


def review(scenario: RiskScenario, by: User, note: str) -> None:
    """Clear a monitoring flag after the owner or security team looked at the risk."""
    if not note.strip():
        raise RiskRefused("no_reason", "a review records what was concluded")
    scenario.needs_review = False
    scenario.review_reason = f"{scenario.review_reason}\n— {by.username}: {note}".strip()
    scenario.flagged_at = None
    scenario.save(update_fields=["needs_review", "review_reason", "flagged_at", "updated_at"])


def recommend(
    scenario: RiskScenario,
    option: str,
    text: str,
    controls: Iterable[Control],
    new_controls: str,
    by: User,
) -> Treatment:
    """Record the security team's recommendation (kept apart from the owner's decision)."""
    if option not in [o.value for o in Option]:
        raise RiskRefused("bad_option", f"unknown treatment option {option!r}")
    if not has_permission(by, "risk.manage"):
        raise RiskRefused("forbidden", f"{by.username} may not recommend treatments")
    with transaction.atomic():
        treatment, _ = Treatment.objects.update_or_create(
            scenario=scenario,
            defaults={
                "recommended_option": option,
                "recommendation": text,
                "recommended_by": by,
                "new_controls": new_controls,
            },
        )
        treatment.controls.set(list(controls))
    return treatment


def decide(
    scenario: RiskScenario, option: str, residual: Rating, rationale: str, by: User
) -> Treatment:
    """The owner decides the treatment and the residual rating it leads to (ISM 17, 18-2)."""
    if by.pk != scenario.owner_id:
        raise RiskRefused(
            "not_owner",
            f"only the risk owner {scenario.owner.username} decides the treatment of "
            f"{scenario.code}",
        )
    treatment = Treatment.objects.filter(scenario=scenario).first()
    if treatment is None:
        raise RiskRefused("no_recommendation", "the security team has not recommended yet")
    try:
        chosen = Option(option)
    except ValueError:
        raise RiskRefused("bad_option", f"unknown treatment option {option!r}") from None
    matrix = _matrix(scenario.assessment)
    _checked_rating(matrix, residual, "residual")
    problem = treatment_problem(matrix, chosen, scenario.rating("current"), residual)
    if problem:
        raise RiskRefused("treatment_refused", problem)
    if chosen is not Option.ACCEPT and not (treatment.controls.exists() or treatment.new_controls):
        raise RiskRefused("no_controls", f"to {chosen.value} a risk, name the controls (ISM 18-1)")
    if not rationale.strip():
        raise RiskRefused("no_rationale", "write down why these controls were chosen (ISM 18-2)")
    with transaction.atomic():
        rate(scenario, "residual", residual, f"treatment decided: {chosen.value}", by, "treatment")
        treatment.decided_option = chosen.value
        treatment.decided_by = by
        treatment.decided_at = timezone.now()
        treatment.save()
        add_rationale(treatment, rationale, by)
    return treatment


def add_rationale(treatment: Treatment, text: str, by: User) -> Rationale:
    """Keep a new numbered version of the rationale (ISM 18-2)."""
    if not text.strip():
        raise RiskRefused("no_rationale", "a rationale has text")
    with transaction.atomic():
        Treatment.objects.select_for_update().get(pk=treatment.pk)
        number = (treatment.rationales.aggregate(n=Max("number"))["n"] or 0) + 1
        return Rationale.objects.create(treatment=treatment, number=number, text=text, author=by)


def add_action(
    treatment: Treatment, text: str, owner: User, due: date, budget: Any, by: User
) -> TreatmentAction:
    """Add an action to a treatment (what the plan will carry, ISM 19-1)."""
    try:
        amount = Decimal(str(budget or 0))
    except InvalidOperation:
        raise RiskRefused("bad_budget", f"budget {budget!r} is not an amount of yen") from None
    if not amount.is_finite() or amount < 0 or amount != amount.to_integral_value():
        raise RiskRefused("bad_budget", f"budget {amount} must be whole yen, not negative")
    limit = Decimal(10) ** BUDGET_DIGITS
    if amount >= limit:
        raise RiskRefused(
            "budget_too_large",
            f"a budget is at most {limit - 1:,} yen ({BUDGET_DIGITS} digits); "
            f"this one has {amount.adjusted() + 1} digits",
        )
    if not text.strip():
        raise RiskRefused("bad_action", "an action says what will be done")
    return TreatmentAction.objects.create(
        treatment=treatment, text=text, owner=owner, due=due, budget_jpy=amount
    )


def ranking(assessment: Assessment, stage: str = "current") -> list[tuple[RiskScenario, Any]]:
    """Return the scenarios in the order of treatment with their ranking (ISM 16)."""
    matrix = _matrix(assessment)
    scenarios = {s.pk: s for s in assessment.scenarios.select_related("owner", "threat")}
    ranked = rank(matrix, [(pk, s.rating(stage)) for pk, s in scenarios.items()])
    return [(scenarios[cast(int, r.key)], r) for r in ranked]


def heat_maps(assessment: Assessment) -> list[dict[str, Any]]:
    """Return, per stage, rows from the highest likelihood down with each cell's level and
    the scenarios in it (ISM 16)."""
    matrix = _matrix(assessment)
    scenarios = list(assessment.scenarios.all())
    maps = []
    for stage in STAGES:
        by_cell: dict[Rating, list[str]] = {}
        for scenario in scenarios:
            by_cell.setdefault(scenario.rating(stage), []).append(scenario.code)
        rows = []
        for likelihood in range(len(matrix.likelihood), 0, -1):
            cells = []
            for impact in range(1, len(matrix.impact) + 1):
                level = matrix.level(likelihood, impact)
                inside = by_cell.get(Rating(likelihood, impact), [])
                cells.append({"level": level, "count": len(inside), "codes": inside})
            rows.append({"step": matrix.likelihood[likelihood - 1], "cells": cells})
        maps.append({"stage": stage, "rows": rows, "impact": matrix.impact})
    return maps
