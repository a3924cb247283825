"""The check of reports on time (SRM 6-1-3, 7-3; ISM 8-1-3, 9-3): measured over the reporting
obligations of real incidents (drills are not counted); with none there is nothing measured."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mamori.core.compliance import CheckResult

__all__ = ["CHECK", "reports_on_time"]

CHECK = "operations.reports_on_time"


def reports_on_time(period_days: int = 90) -> CheckResult:
    """Fail when a report of a real incident is overdue and unsent, or was sent after it was due
    within the last ``period_days``; pass when there were reports in the period and all went on
    time; not measured when there were none."""
    from mamori.operations.models import Obligation

    now = timezone.now()
    since = now - timedelta(days=period_days)
    real = Obligation.objects.filter(incident__drill=False).select_related("incident")
    overdue = list(real.filter(status=Obligation.Status.DUE, due_at__lt=now))
    late = [
        o
        for o in real.filter(status=Obligation.Status.SENT, sent_at__gte=since)
        if o.sent_at is not None and o.sent_at > o.due_at
    ]
    counted = real.filter(status__in=[Obligation.Status.DUE, Obligation.Status.SENT]).filter(
        due_at__gte=since
    ) | real.filter(status=Obligation.Status.SENT, sent_at__gte=since)
    total = counted.distinct().count() + len([o for o in overdue if o.due_at < since])
    evidence = {
        "measured": bool(total),
        "period_days": period_days,
        "reports": total,
        "overdue": [f"{o.incident.reference}:{o.pk}" for o in overdue],
        "late": [f"{o.incident.reference}:{o.pk}" for o in late],
    }
    if overdue or late:
        names_ja = "、".join(f"{o.incident.reference} {o.name}" for o in [*overdue, *late])
        names_en = ", ".join(f"{o.incident.reference} #{o.pk}" for o in [*overdue, *late])
        return CheckResult(
            False,
            f"期限超過の報告 {len(overdue)} 件、期限後に送付 {len(late)} 件: {names_ja}",
            f"{len(overdue)} report(s) overdue and unsent, {len(late)} sent late: {names_en}",
            evidence,
        )
    if not total:
        return CheckResult(
            False,
            f"未測定: 直近{period_days}日間に報告義務のある事案（訓練を除く）がない",
            f"not measured: no report was owed for a real incident in the last {period_days} days",
            evidence,
        )
    return CheckResult(
        True,
        f"直近{period_days}日間の報告 {total} 件はすべて期限内",
        f"all {total} report(s) of the last {period_days} days on time",
        evidence,
    )
