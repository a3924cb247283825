"""Checks of quality management and the deploy gate (SRM 15, 16, 18, 19), measured over the
quality plans, the secure-coding standard, the gate's answers and the deployments the pipeline
reported. Where there is nothing to measure the check says so, which is no pass."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from mamori.core.compliance import CheckResult, register_check

__all__ = ["deploys_gated", "quality_plans_set", "register", "secure_coding_attested"]

MODULE = "mamori.operations"


def _not_measured(ja: str, en: str, **evidence: object) -> CheckResult:
    return CheckResult(
        False, f"未測定: {ja}", f"not measured: {en}", {"measured": False, **evidence}
    )


def deploys_gated(period_days: int = 90) -> CheckResult:
    """Pass when every production deployment of the last ``period_days`` had a *go* from the
    gate for its digest, under its change, before it ran (SRM 19) — the same test that raises
    the gate's findings (:func:`~mamori.operations.services.gate.had_go`); a deployment is
    counted once however many events told of it. Not measured when there was none."""
    from mamori.operations.models import Deployment
    from mamori.operations.services.gate import deployment_identity, had_go, reached_production

    since = timezone.now() - timedelta(days=period_days)
    first: dict[str, Deployment] = {}  # each deployment's earliest event that ran
    for d in Deployment.objects.filter(at__gte=since).order_by("at", "pk"):
        if reached_production(d):
            first.setdefault(deployment_identity(d), d)
    if not first:
        return _not_measured(
            f"直近{period_days}日間に本番環境へのデプロイがない",
            f"no production deployment in the last {period_days} days",
            period_days=period_days,
        )
    rows = list(first.values())
    without = sorted({d.artifact_digest for d in rows if not had_go(d)})
    evidence = {
        "measured": True,
        "period_days": period_days,
        "deployments": len(rows),
        "without_go": without,
    }
    if without:
        return CheckResult(
            False,
            f"ゲートの可（go）なしに本番へデプロイされた成果物が {len(without)} 件",
            f"{len(without)} artifact(s) deployed to production without a go from the gate",
            evidence,
        )
    return CheckResult(
        True,
        f"直近{period_days}日間の本番デプロイ {len(rows)} 件はすべてゲートの可（go）を得ている",
        f"all {len(rows)} production deployment(s) of the last {period_days} days had a go",
        evidence,
    )


def quality_plans_set() -> CheckResult:
    """Pass when every live system of high criticality has a quality plan with criteria
    (SRM 15, 16); not measured when the register has no such system."""
    from mamori.operations.models import System

    live = System.objects.filter(
        lifecycle=System.Lifecycle.LIVE, criticality=System.Criticality.HIGH
    ).order_by("code")
    if not live.exists():
        return _not_measured(
            "稼働中の重要度「高」のシステムが登録されていない", "no live high-criticality system"
        )
    lacking = [s.code for s in live if not _has_criteria(s)]
    evidence = {"measured": True, "systems": live.count(), "without_plan": lacking}
    if lacking:
        names = ", ".join(lacking)
        return CheckResult(
            False,
            f"品質管理計画（基準付き）のない重要システム: {names}",
            f"high-criticality system(s) without a quality plan with criteria: {names}",
            evidence,
        )
    return CheckResult(
        True,
        f"稼働中の重要システム {live.count()} 件すべてに基準付きの品質管理計画がある",
        f"all {live.count()} live high-criticality system(s) have a quality plan with criteria",
        evidence,
    )


def _has_criteria(system: object) -> bool:
    plan = getattr(system, "quality_plan", None)
    return plan is not None and plan.criteria.exists()


def secure_coding_attested(period_days: int = 90) -> CheckResult:
    """Pass when a secure-coding standard is in force and every change released (answered
    *go*) in the last ``period_days`` was attested to the version in force when it was
    released (SRM 18); not measured with no standard and no release."""
    from mamori.operations.models import GateDecision, SecureCodingAttestation
    from mamori.operations.services.quality import current_standard

    since = timezone.now() - timedelta(days=period_days)
    released = GateDecision.objects.filter(
        outcome=GateDecision.Outcome.GO, asked_at__gte=since
    ).select_related("change")
    standard = current_standard()
    if standard is None and not released.exists():
        return _not_measured(
            "セキュアコーディング基準もリリースもない", "no secure-coding standard and no release"
        )
    if standard is None:
        return CheckResult(
            False,
            "セキュアコーディング基準が定められていない",
            "no secure-coding standard is in force",
            {"measured": True},
        )
    missing = set()
    for decision in released:
        at = decision.asked_at
        attested = SecureCodingAttestation.objects.filter(
            change=decision.change, standard__published_at__lte=at
        ).filter(Q(standard__superseded_at__isnull=True) | Q(standard__superseded_at__gt=at))
        if not attested.exists():
            missing.add(decision.change.reference)
    changes = {d.change.reference for d in released}
    evidence = {
        "measured": True,
        "standard": standard.version,
        "released": len(changes),
        "not_attested": sorted(missing),
    }
    if missing:
        names = ", ".join(sorted(missing))
        return CheckResult(
            False,
            f"リリース時の基準に準拠の表明がない変更: {names}",
            f"change(s) released without attesting to the standard then in force: {names}",
            evidence,
        )
    return CheckResult(
        True,
        f"基準 v{standard.version} が有効で、直近{period_days}日間のリリース "
        f"{len(changes)} 件はすべて準拠を表明",
        f"standard v{standard.version} in force; all {len(changes)} change(s) released in "
        f"the last {period_days} days attested to it",
        evidence,
    )


def register() -> None:
    """Offer the checks to the rulebook."""
    register_check("operations.deploys_gated", deploys_gated, MODULE)
    register_check("operations.quality_plans", quality_plans_set, MODULE)
    register_check("operations.secure_coding", secure_coding_attested, MODULE)
