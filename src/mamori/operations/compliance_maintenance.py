"""The check of maintenance notices (SRM 13-2): every maintenance that started in the period
had its customer notice published at least the minimum notice before its planned start.
No maintenance started in the period is nothing measured, which is no pass."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from mamori.core.compliance import CheckResult, register_check

__all__ = ["notices_on_time", "register"]

MODULE = "mamori.operations"


def notices_on_time(period_days: int = 90) -> CheckResult:
    """Pass when maintenance started in the last ``period_days`` and every one had its notice
    published in time; fail naming each late or missing notice (an emergency exception is
    named with its reason, not excused)."""
    from mamori.operations.models import Maintenance
    from mamori.operations.services import maintenance as service

    now = timezone.now()
    since = now - timedelta(days=period_days)
    started = (
        Maintenance.objects.exclude(status=Maintenance.Status.CANCELLED)
        .filter(
            Q(actual_start__gte=since, actual_start__lte=now)
            | Q(actual_start__isnull=True, planned_start__gte=since, planned_start__lte=now)
        )
        .prefetch_related("systems")
        .order_by("planned_start", "pk")
    )
    late = []
    total = 0
    for maintenance in started:
        total += 1
        if service.notice_on_time(maintenance):
            continue
        days = service.required_notice(maintenance).days
        published = maintenance.notice_published_at
        when_en = published.isoformat() if published else "never"
        when_ja = published.isoformat() if published else "未公表"
        extra_en = f"; exception: {maintenance.exception_reason}" if maintenance.exception else ""
        extra_ja = f"／例外: {maintenance.exception_reason}" if maintenance.exception else ""
        late.append(
            (
                f"{maintenance.reference}: 告知 {when_ja}（{days}日前まで必要）{extra_ja}",
                f"{maintenance.reference}: notice {when_en} ({days} days ahead required){extra_en}",
            )
        )
    evidence = {"measured": total > 0, "period_days": period_days, "started": total}
    if total == 0:
        return CheckResult(
            False,
            f"未測定: 直近{period_days}日間に開始したメンテナンスがない",
            f"not measured: no maintenance started in the last {period_days} days",
            evidence,
        )
    if late:
        return CheckResult(
            False,
            " / ".join(ja for ja, _en in late),
            " / ".join(en for _ja, en in late),
            {**evidence, "late": [en for _ja, en in late]},
        )
    return CheckResult(
        True,
        f"直近{period_days}日間のメンテナンス {total} 件はすべて期限までに顧客へ告知",
        f"all {total} maintenance(s) of the last {period_days} days announced to customers in time",
        evidence,
    )


def register() -> None:
    """Offer the check to the rulebook."""
    register_check("operations.maintenance_notices", notices_on_time, MODULE)
