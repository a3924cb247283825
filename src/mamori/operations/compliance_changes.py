"""Checks of the development plan and of changes (SRM 4-6, 8-3, 11-2..6, 17, 20, 22), measured
over the plan versions, the changes, their approvals, inspections and reviews. Where the
register holds nothing yet there is nothing measured, which is no pass."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mamori.core.compliance import CheckResult, register_check
from mamori.operations.compliance_bcp import _not_measured, _result

__all__ = [
    "acceptance_recorded",
    "changes_controlled",
    "devplan_current",
    "post_change_reviews",
    "register",
]

MODULE = "mamori.operations"


def _board_route(definition: dict[str, object]) -> bool:
    stages = definition.get("stages") or []
    return (
        bool(definition.get("ordered"))
        and isinstance(stages, list)
        and len(stages) >= 2
        and "board_member" in stages[-1].get("roles", [])
    )


def devplan_current() -> CheckResult:
    """Pass when a development plan has a version approved through the committee and then the
    board whose period covers today (SRM 4-6, 11-2); no plan is not measured."""
    from mamori.operations.models import DevPlanVersion

    if not DevPlanVersion.objects.exists():
        return _not_measured("開発計画が登録されていない", "no development plan")
    today = timezone.localdate()
    approved = DevPlanVersion.objects.filter(status=DevPlanVersion.Status.APPROVED).select_related(
        "plan", "approval"
    )
    good = [
        v
        for v in approved
        if v.starts_on <= today <= v.ends_on
        and v.approval is not None
        and _board_route(v.approval.policy_definition)
    ]
    if not good:
        return _result(
            [
                (
                    "取締役会が承認した、期間中の開発計画がない",
                    "no development plan approved by the board covers today",
                )
            ],
            "",
            "",
        )
    v = good[0]
    return _result(
        [],
        f"開発計画 {v.plan.code} v{v.number}（{v.starts_on}〜{v.ends_on}）を取締役会が承認",
        f"development plan {v.plan.code} v{v.number} ({v.starts_on} to {v.ends_on}) "
        "approved by the board",
    )


def changes_controlled() -> CheckResult:
    """Pass when every change has a responsible person and every approval its stage rules ask
    for the stages it reached, a new service is signed by both departments past design
    (SRM 8-3), and no emergency change waits for its approvals beyond the set hours
    (SRM 11-3..6, 17)."""
    from mamori.operations.models import Change, ChangeFinding
    from mamori.operations.services import changes

    rows = Change.objects.exclude(stage=Change.Stage.CANCELLED).prefetch_related(
        "stage_approvals", "participants"
    )
    if not rows.exists():
        return _not_measured("変更が登録されていない", "no change recorded")
    changes.check_emergency_reviews()
    problems = []
    for change in rows:
        missing = changes.missing_approvals(change, upto=change.stage)
        if missing:
            problems.append(
                (
                    f"{change.reference}: 段階承認がない（{', '.join(missing)}）",
                    f"{change.reference}: stage approval missing ({', '.join(missing)})",
                )
            )
        past_design = changes.FLOW.index(Change.Stage(change.stage)) > 1
        if past_design and changes.unsigned_sides(change):
            problems.append(
                (
                    f"{change.reference}: ユーザー部門・リスク管理部門の署名がない（SRM 8-3）",
                    f"{change.reference}: user and risk-management signatures missing (SRM 8-3)",
                )
            )
    for finding in ChangeFinding.objects.filter(
        kind=ChangeFinding.Kind.EMERGENCY_REVIEW_LATE, resolved_at__isnull=True
    ).select_related("change"):
        ref = finding.change.reference if finding.change else finding.key
        problems.append(
            (f"{ref}: 緊急変更の事後承認が期限超過", f"{ref}: emergency change approved late")
        )
    return _result(
        problems,
        f"変更 {rows.count()} 件すべてに責任者と段階承認がある",
        f"all {rows.count()} changes have a responsible person and their stage approvals",
    )


def acceptance_recorded() -> CheckResult:
    """Pass when every released change has an acceptance inspection decided *fit for use* by
    someone other than its responsible person (SRM 20); none released is not measured."""
    from mamori.operations.models import AcceptanceInspection, Change
    from mamori.operations.services.changes import RELEASED

    released = Change.objects.filter(stage__in=RELEASED)
    if not released.exists():
        return _not_measured("リリースされた変更がない", "no change released")
    problems = []
    for change in released:
        ok = (
            AcceptanceInspection.objects.filter(
                change=change, decision=AcceptanceInspection.Decision.GO
            )
            .exclude(decided_by=change.responsible_id)
            .exists()
        )
        if not ok:
            problems.append(
                (
                    f"{change.reference}: 実用可の導入時検査記録がない",
                    f"{change.reference}: no acceptance inspection decided fit for use",
                )
            )
    return _result(
        problems,
        f"リリースされた変更 {released.count()} 件すべてに導入時検査（実用可）の記録がある",
        f"all {released.count()} released changes have an acceptance inspection with go",
    )


def post_change_reviews() -> CheckResult:
    """Pass when every change released more than the set days ago has its post-change review
    signed by the system managers by its due date (SRM 22); none due is not measured."""
    from mamori.operations.models import Change
    from mamori.operations.services import changes

    today = timezone.localdate()
    days = changes.setting().review_within_days
    due = []
    for change in Change.objects.filter(stage__in=changes.RELEASED).select_related("post_review"):
        released = changes.released_at(change)
        if released is not None and timezone.localdate(released) + timedelta(days=days) < today:
            due.append(change)
    if not due:
        return _not_measured("期限を迎えた変更後レビューがない", "no post-change review due yet")
    problems = []
    for change in due:
        review = getattr(change, "post_review", None)
        on_time = (
            review is not None
            and review.completed_at is not None
            and timezone.localdate(review.completed_at) <= review.due_on
        )
        if not on_time:
            problems.append(
                (
                    f"{change.reference}: 変更後レビューが期限内に完了していない",
                    f"{change.reference}: post-change review not done on time",
                )
            )
    return _result(
        problems,
        f"期限を迎えた変更後レビュー {len(due)} 件すべてを期限内に完了",
        f"all {len(due)} post-change reviews due were done on time",
    )


def register() -> None:
    """Offer the checks to the control catalogue."""
    register_check("operations.devplan_current", devplan_current, MODULE)
    register_check("operations.changes_controlled", changes_controlled, MODULE)
    register_check("operations.acceptance_recorded", acceptance_recorded, MODULE)
    register_check("operations.post_change_reviews", post_change_reviews, MODULE)
