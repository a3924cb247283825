"""Checks of contingency plans, drills, review actions, incident command and the CSIRT
(SRM 5-2, 6-1-3, 9; ISM 3, 8-1-3, 30-3), measured over mamori's own registers. Where the
register holds nothing yet there is nothing measured, which is no pass."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mamori.core.compliance import CheckResult, register_check

__all__ = [
    "actions_on_time",
    "csirt_ready",
    "drills_held",
    "incidents_commanded",
    "plans_current",
    "register",
]

MODULE = "mamori.operations"
#: A plan flagged for review longer than this no longer counts as current.
FLAG_GRACE_DAYS = 30
#: A drill counts for a year (SRM 5-2, ISM 30-3).
DRILL_EVERY_DAYS = 365
SCENARIO_JA = {
    "system_failure": "システム障害",
    "cyber_attack": "サイバー攻撃",
    "crypto_asset_leak": "暗号資産の流出",
    "data_centre_loss": "データセンターの喪失",
    "vendor_failure": "委託先の障害",
}
LEADER_JA = {
    "representative_director": "代表取締役",
    "system_general_manager": "システム統括管理責任者",
}


def _not_measured(ja: str, en: str) -> CheckResult:
    return CheckResult(False, f"未測定: {ja}", f"not measured: {en}", {"measured": False})


def _result(problems: list[tuple[str, str]], ok_ja: str, ok_en: str) -> CheckResult:
    if problems:
        return CheckResult(
            False,
            " / ".join(p[0] for p in problems),
            " / ".join(p[1] for p in problems),
            {"measured": True, "problems": [p[1] for p in problems]},
        )
    return CheckResult(True, ok_ja, ok_en, {"measured": True})


def plans_current() -> CheckResult:
    """Pass when every scenario has an approved plan whose yearly review is not past due and
    which has not waited for review longer than the grace period (SRM 5-2, ISM 3)."""
    from mamori.operations.models import ContingencyPlan, PlanVersion

    if not PlanVersion.objects.exists():
        return _not_measured("コンティンジェンシープランが登録されていない", "no contingency plan")
    today = timezone.localdate()
    problems = []
    for scenario in ContingencyPlan.Scenario:
        name_ja = SCENARIO_JA[scenario.value]
        approved = PlanVersion.objects.filter(
            plan__scenario=scenario.value, status=PlanVersion.Status.APPROVED
        ).first()
        if approved is None:
            problems.append(
                (f"{name_ja}: 承認済みの計画がない", f"{scenario.value}: no approved plan")
            )
            continue
        plan = approved.plan
        if plan.next_review_on is None or plan.next_review_on < today:
            problems.append(
                (
                    f"{name_ja}: 年次見直しの期限 {plan.next_review_on} 超過",
                    f"{scenario.value}: yearly review due {plan.next_review_on} has passed",
                )
            )
        flagged = plan.review_flagged_since
        if flagged and (today - timezone.localdate(flagged)).days > FLAG_GRACE_DAYS:
            problems.append(
                (
                    f"{name_ja}: 変更による見直し待ち（{FLAG_GRACE_DAYS}日超）",
                    f"{scenario.value}: awaiting review after a change "
                    f"(over {FLAG_GRACE_DAYS} days)",
                )
            )
    return _result(
        problems,
        "全シナリオの計画が承認済みで1年以内に見直されている",
        "every scenario has an approved plan reviewed within a year",
    )


def drills_held() -> CheckResult:
    """Pass when every scenario's plan was drilled in the last 12 months and each leader role
    (the representative director, the system general manager) commanded one (SRM 5-2, ISM
    30-3)."""
    from mamori.operations.models import ContingencyPlan, DrillCommand, PlanDrill, PlanVersion
    from mamori.operations.services.drills import LEADER_ROLES

    if not PlanVersion.objects.filter(status=PlanVersion.Status.APPROVED).exists():
        return _not_measured("訓練の対象となる承認済みの計画がない", "no approved plan to drill")
    since = timezone.localdate() - timedelta(days=DRILL_EVERY_DAYS)
    held = PlanDrill.objects.filter(status=PlanDrill.Status.COMPLETED, finished_at__date__gte=since)
    problems = []
    for scenario in ContingencyPlan.Scenario:
        if not held.filter(plan__scenario=scenario.value).exists():
            problems.append(
                (
                    f"{SCENARIO_JA[scenario.value]}: 12か月以内の訓練がない",
                    f"{scenario.value}: no drill in the last 12 months",
                )
            )
    for role in LEADER_ROLES:
        if not DrillCommand.objects.filter(drill__in=held, role=role).exists():
            problems.append(
                (
                    f"{LEADER_JA[role]}が12か月以内に訓練を指揮していない",
                    f"no drill in the last 12 months was commanded by the {role.replace('_', ' ')}",
                )
            )
    return _result(
        problems,
        f"12か月以内に全シナリオの訓練 {held.count()} 件、代表取締役・システム統括管理責任者が指揮",
        f"{held.count()} drills in 12 months cover every scenario, commanded by both leaders",
    )


def actions_on_time() -> CheckResult:
    """Pass when no follow-up action of a review or drill is past its due date (SRM 9)."""
    from mamori.operations.models import FollowUpAction
    from mamori.operations.services.reviews import overdue_actions

    if not FollowUpAction.objects.exists():
        return _not_measured("フォローアップ処置が登録されていない", "no follow-up action recorded")
    late = overdue_actions().count()
    if late:
        return CheckResult(
            False,
            f"期限を過ぎた未完了の処置が {late} 件",
            f"{late} follow-up action(s) past due",
            {"measured": True, "overdue": late},
        )
    return CheckResult(
        True, "期限超過の処置なし", "no follow-up action past due", {"measured": True}
    )


def incidents_commanded() -> CheckResult:
    """Pass when every open incident has a commander (SRM 6-1-3, ISM 8-1-3)."""
    from mamori.operations.models import Incident

    real = Incident.objects.filter(drill=False)  # a drill's command is BCP-02's to measure
    if not real.exists():
        return _not_measured("インシデントが記録されていない", "no incident recorded")
    without = real.exclude(status=Incident.Status.CLOSED).filter(commander__isnull=True)
    count = without.count()
    if count:
        references = ", ".join(without.order_by("reference").values_list("reference", flat=True))
        return CheckResult(
            False,
            f"指揮者のいない対応中のインシデントが {count} 件: {references}",
            f"{count} open incident(s) without a commander: {references}",
            {"measured": True, "without_commander": count},
        )
    return CheckResult(
        True,
        "対応中のインシデントすべてに指揮者がいる",
        "every open incident has a commander",
        {"measured": True},
    )


def csirt_ready() -> CheckResult:
    """Pass when the CSIRT roster has someone on call now and external contacts (a CERT and
    the association) are recorded (SRM 9-3-3 to 9-3-5)."""
    from mamori.operations.models import CsirtMember, ExternalContact
    from mamori.operations.services.csirt import on_call

    if not CsirtMember.objects.exists() and not ExternalContact.objects.exists():
        return _not_measured(
            "CSIRTの名簿も外部連絡先もない", "no CSIRT roster or external contacts"
        )
    problems = []
    if on_call() is None:
        problems.append(("現在の当番がいない", "nobody is on call now"))
    kinds = set(ExternalContact.objects.values_list("kind", flat=True))
    for kind, ja in (("cert", "CERT（JPCERT/CC 等）"), ("association", "協会")):
        if kind not in kinds:
            problems.append((f"外部連絡先（{ja}）がない", f"no external contact of kind {kind}"))
    return _result(
        problems,
        "CSIRTの当番と外部連絡先（CERT・協会）がそろっている",
        "the CSIRT has someone on call and its external contacts (a CERT, the association)",
    )


def register() -> None:
    """Offer the checks to the rulebook."""
    register_check("operations.plans", plans_current, MODULE)
    register_check("operations.drills", drills_held, MODULE)
    register_check("operations.review_actions", actions_on_time, MODULE)
    register_check("operations.incident_commander", incidents_commanded, MODULE)
    register_check("operations.csirt", csirt_ready, MODULE)
