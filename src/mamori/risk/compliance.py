"""Compliance checks the risk registers offer the rulebook (ISM ch.4 12–20, ISM 21).

Each check reads the newest assessment; together they replace the old "upload a risk
assessment document" controls with the registers themselves.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from mamori.core.compliance import CheckResult, register_check

if TYPE_CHECKING:
    from mamori.risk.models import Assessment

__all__ = ["register"]

PLACES_21_2 = ("unused_area", "diagnostic", "archive")


def _latest() -> Assessment | None:
    from mamori.risk.models import Assessment

    return Assessment.newest()


def _none() -> CheckResult:
    return CheckResult(False, "リスクアセスメントがない", "no risk assessment yet", {})


def assessed_recently(days: int = 366) -> CheckResult:
    """Pass when an assessment was made within ``days`` (12-1) under valid criteria (13)."""
    latest = _latest()
    if latest is None:
        return _none()
    matrix = latest.matrix.matrix()
    evidence = {
        "assessment": latest.pk,
        "criteria": f"{latest.matrix.code} v{latest.matrix.version}",
        "acceptance": matrix.acceptance,
    }
    if latest.started_at < timezone.now() - timedelta(days=days):
        return CheckResult(
            False,
            f"直近のアセスメント（{latest.started_at:%Y-%m-%d}）から{days}日を超えている",
            f"the last assessment ({latest.started_at:%Y-%m-%d}) is over {days} days old",
            evidence,
        )
    return CheckResult(
        True,
        f"{latest.name}: 基準 {evidence['criteria']}（受容水準 {matrix.acceptance}）",
        f"{latest.name}: criteria {evidence['criteria']} (acceptance level {matrix.acceptance})",
        evidence,
    )


def inventory_complete() -> CheckResult:
    """Pass when the inventory has assets with owners and value, including customers' important
    information and the three places ISM 21-2 names (14-2, 21)."""
    from mamori.risk.models import InformationAsset

    assets = InformationAsset.objects.all()
    if not assets.exists():
        return CheckResult(False, "情報資産目録が空", "the asset inventory is empty", {})
    places = set(assets.values_list("location_kind", flat=True))
    missing = [p for p in PLACES_21_2 if p not in places]
    customer = [
        a.code for a in assets if {"customer_personal", "customer_confidential"} & set(a.categories)
    ]
    evidence = {"assets": assets.count(), "customer_assets": customer, "places": sorted(places)}
    if missing:
        return CheckResult(
            False,
            f"ISM 21-2 の場所が目録にない: {', '.join(missing)}",
            f"places ISM 21-2 names are not in the inventory: {', '.join(missing)}",
            evidence,
        )
    if not customer:
        return CheckResult(
            False,
            "利用者の重要情報を含む資産が目録にない",
            "no asset in the inventory holds customers' important information",
            evidence,
        )
    return CheckResult(
        True,
        f"{evidence['assets']}件の情報資産"
        f"（利用者の重要情報 {len(customer)}件、21-2の3区分を含む）",
        f"{evidence['assets']} assets ({len(customer)} with customers' important information, "
        "the three ISM 21-2 places included)",
        evidence,
    )


def analysed_and_ranked() -> CheckResult:
    """Pass when the newest assessment has scenarios, each with an owner, an approach and its
    rationale, ranked against the criteria (14-1, 15, 16)."""
    from mamori.risk.services.scenarios import ranking

    latest = _latest()
    if latest is None:
        return _none()
    ranked = ranking(latest)
    if not ranked:
        return CheckResult(False, "リスクシナリオがない", "the assessment has no scenario", {})
    above = [s.code for s, r in ranked if not r.within_acceptance]
    evidence = {"scenarios": len(ranked), "above_acceptance": above}
    return CheckResult(
        True,
        f"{len(ranked)}件を分析・評価（受容水準超 {len(above)}件）",
        f"{len(ranked)} scenarios analysed and ranked ({len(above)} above acceptance)",
        evidence,
    )


def treated_within_acceptance() -> CheckResult:
    """Pass when every scenario has a decided treatment whose residual risk is within the
    acceptance level, with its rationale written (17, 18)."""
    latest = _latest()
    if latest is None:
        return _none()
    matrix = latest.matrix.matrix()
    accepted = matrix.acceptance_level.rank
    bad = []
    for scenario in latest.scenarios.select_related("treatment"):
        treatment = getattr(scenario, "treatment", None)
        if treatment is None or not treatment.decided_option:
            bad.append(f"{scenario.code} (undecided)")
        elif scenario.rating("residual").level(matrix).rank > accepted:
            bad.append(f"{scenario.code} (residual above acceptance)")
        elif not treatment.rationales.exists():
            bad.append(f"{scenario.code} (no rationale)")
    if bad:
        listed = ", ".join(bad[:20])
        return CheckResult(
            False, f"対応が未了: {listed}", f"not treated: {listed}", {"scenarios": bad}
        )
    return CheckResult(
        True,
        "全シナリオが受容水準以内に対応済み",
        "every scenario treated to within the acceptance level",
        {},
    )


def plan_approved() -> CheckResult:
    """Pass when the newest assessment's plan was approved by the committee and the board and
    nothing changed since (19)."""
    from mamori.risk.services import plans

    latest = _latest()
    if latest is None:
        return _none()
    plan = plans.current_plan(latest)
    if plan is None:
        return CheckResult(
            False,
            "取締役会決議を経た安全管理計画がない",
            "no security plan approved by board resolution",
            {},
        )
    evidence = {"plan": plan.pk, "version": plan.version, "approval": plan.approval_id}
    if plans.out_of_date(plan, plans.live_snapshot(latest)):
        return CheckResult(
            False,
            f"計画 v{plan.version} の承認後にリスク・対応が変わった: 新しい版の承認が必要",
            f"risks or treatments changed after plan v{plan.version} was approved: "
            "a new version needs approval",
            evidence,
        )
    return CheckResult(
        True,
        f"計画 v{plan.version} は委員会・取締役会で承認済み",
        f"plan v{plan.version} approved by the committee and the board",
        evidence,
    )


def owners_signed_off() -> CheckResult:
    """Pass when every risk owner named in the current plan has a valid sign-off (20)."""
    from mamori.risk.services import plans

    latest = _latest()
    plan = plans.current_plan(latest) if latest else None
    if plan is None:
        return CheckResult(False, "承認済みの計画がない", "no approved plan to sign off", {})
    states = plans.owner_states(plan, plans.live_snapshot(plan.assessment))
    bad = [f"{s.owner} ({s.state})" for s in states if s.state != "valid"]
    evidence = {s.owner: s.state for s in states}
    if bad:
        listed = ", ".join(bad)
        return CheckResult(
            False,
            f"残留リスクの了解が有効でない: {listed}",
            f"residual-risk sign-off not valid: {listed}",
            evidence,
        )
    return CheckResult(
        True,
        f"全リスク所有者（{len(states)}名）が計画 v{plan.version} の残留リスクを了解済み",
        f"all {len(states)} risk owners signed off their residual risks in plan v{plan.version}",
        evidence,
    )


def flags_reviewed(days: int = 7) -> CheckResult:
    """Pass when no scenario flagged by monitoring waits more than ``days`` (12-3, 12-4);
    with no risk scenario at all there is nothing to review and the control does not pass."""
    from mamori.risk.models import RiskScenario

    if not RiskScenario.objects.exists():
        return CheckResult(
            False, "リスクシナリオが登録されていない", "no risk scenario is registered", {}
        )
    late = RiskScenario.objects.filter(
        needs_review=True, flagged_at__lt=timezone.now() - timedelta(days=days)
    )
    if late.exists():
        listed = ", ".join(s.code for s in late[:20])
        return CheckResult(
            False,
            f"{days}日以上見直されていないシナリオ: {listed}",
            f"scenarios flagged over {days} days ago and not reviewed: {listed}",
            {"scenarios": [s.code for s in late[:100]]},
        )
    waiting = RiskScenario.objects.filter(needs_review=True).count()
    return CheckResult(
        True,
        f"期限内に見直し（待ち {waiting}件）",
        f"flags reviewed in time ({waiting} waiting)",
        {"waiting": waiting},
    )


def register() -> None:
    """Offer the checks to the control catalogue."""
    module = "mamori.risk"
    register_check("risk.assessed", assessed_recently, module)
    register_check("risk.inventory", inventory_complete, module)
    register_check("risk.analysed", analysed_and_ranked, module)
    register_check("risk.treated", treated_within_acceptance, module)
    register_check("risk.plan_approved", plan_approved, module)
    register_check("risk.signed_off", owners_signed_off, module)
    register_check("risk.flags_reviewed", flags_reviewed, module)
