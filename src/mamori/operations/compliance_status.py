"""The checks of operating-status monitoring (SRM 12-1, 21-1, 21-2).

- ``operations.status_monitored`` (SRM 21-1): every live high-criticality system has a
  monitored service, and every monitored service had a state reported within the period.
- ``operations.status_confirmed`` (SRM 21-2): every day of the period was confirmed by its due
  time; a missed day fails naming it.
- ``operations.status_coverage`` (SRM 12-1): the share of live systems with a monitored service
  reaches the set share.

Nothing to measure (no system, no monitored service) is "not measured", which is no pass.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from mamori.core.compliance import CheckResult, register_check

__all__ = ["confirmed_daily", "coverage", "monitored", "register"]

MODULE = "mamori.operations"


def _not_measured(ja: str, en: str, **evidence: object) -> CheckResult:
    return CheckResult(
        False, f"未測定: {ja}", f"not measured: {en}", {"measured": False, **evidence}
    )


def monitored(period_hours: int = 24) -> CheckResult:
    """Pass when every live high-criticality system has a monitored service and every
    monitored service has a state period touching the last ``period_hours``."""
    from mamori.operations.models import MonitoredService, ServiceState, System

    now = timezone.now()
    since = now - timedelta(hours=period_hours)
    services = list(MonitoredService.objects.select_related("system").order_by("code"))
    if not services:
        return _not_measured("監視対象サービスがない", "no monitored service")
    high = System.objects.filter(lifecycle=System.Lifecycle.LIVE, criticality="high")
    covered = {s.system_id for s in services}
    unmonitored = sorted(s.code for s in high if s.pk not in covered)
    reporting = set(
        ServiceState.objects.filter(started_at__lte=now)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=since))
        .values_list("service_id", flat=True)
    )
    silent = [s.code for s in services if s.pk not in reporting]
    evidence = {
        "measured": True,
        "services": len(services),
        "unmonitored_systems": unmonitored,
        "silent_services": silent,
        "period_hours": period_hours,
    }
    if unmonitored or silent:
        ja = []
        en = []
        if unmonitored:
            ja.append(f"監視されていない重要システム: {', '.join(unmonitored)}")
            en.append(f"high-criticality systems without monitoring: {', '.join(unmonitored)}")
        if silent:
            ja.append(f"直近{period_hours}時間に状態報告のないサービス: {', '.join(silent)}")
            en.append(f"services with no state in the last {period_hours}h: {', '.join(silent)}")
        return CheckResult(False, " / ".join(ja), " / ".join(en), evidence)
    return CheckResult(
        True,
        f"監視対象サービス {len(services)} 件すべてが直近{period_hours}時間に状態を報告",
        f"all {len(services)} monitored service(s) reported a state in the last {period_hours}h",
        evidence,
    )


def confirmed_daily(period_days: int = 30) -> CheckResult:
    """Pass when every day of the last ``period_days`` (since monitoring began) whose
    confirmation is due was confirmed in time; fail naming missed days."""
    from mamori.operations.models import DailyConfirmation, MonitoredService, ServiceState
    from mamori.operations.services import status

    now = timezone.now()
    if not MonitoredService.objects.exists():
        return _not_measured("監視対象サービスがない", "no monitored service")
    first = ServiceState.objects.order_by("started_at").values_list("started_at", flat=True).first()
    if first is None:
        return _not_measured("サービスの状態記録がない", "no service state recorded")
    today = now.astimezone(status.TOKYO).date()
    start = max(today - timedelta(days=period_days), first.astimezone(status.TOKYO).date())
    due = []
    day = start
    while day < today:
        if status.due_at(day) <= now:
            due.append(day)
        day += timedelta(days=1)
    if not due:
        return _not_measured("確認期限を迎えた日がない", "no day's confirmation is due yet")
    on_time = {
        c.date
        for c in DailyConfirmation.objects.filter(date__in=due, corrects__isnull=True)
        if c.at <= status.due_at(c.date)
    }
    missed = [d.isoformat() for d in due if d not in on_time]
    evidence = {"measured": True, "days": len(due), "missed": missed}
    if missed:
        return CheckResult(
            False,
            f"稼働状況の確認漏れ {len(missed)} 日: {', '.join(missed)}",
            f"{len(missed)} day(s) not confirmed in time: {', '.join(missed)}",
            evidence,
        )
    return CheckResult(
        True,
        f"直近 {len(due)} 日の稼働状況をすべて期限内に確認",
        f"operating status of all {len(due)} day(s) confirmed in time",
        evidence,
    )


def coverage(min_percent: int = 100) -> CheckResult:
    """Pass when the share of live systems with a monitored service reaches ``min_percent``."""
    from mamori.operations.models import MonitoredService, System

    live = list(System.objects.filter(lifecycle=System.Lifecycle.LIVE).order_by("code"))
    if not live:
        return _not_measured("稼働中のシステムがない", "no live system")
    covered = set(MonitoredService.objects.values_list("system_id", flat=True))
    missing = [s.code for s in live if s.pk not in covered]
    share = (Decimal(len(live) - len(missing)) * 100 / len(live)).quantize(Decimal("0.1"))
    evidence = {"measured": True, "live": len(live), "share": str(share), "unmonitored": missing}
    if share < min_percent:
        return CheckResult(
            False,
            f"監視の対象範囲 {share}%（必要 {min_percent}%）未監視: {', '.join(missing)}",
            f"monitoring covers {share}% of live systems (needed {min_percent}%); "
            f"unmonitored: {', '.join(missing)}",
            evidence,
        )
    return CheckResult(
        True,
        f"稼働中システムの {share}% を監視",
        f"monitoring covers {share}% of live systems",
        evidence,
    )


def register() -> None:
    """Offer the checks to the rulebook."""
    register_check("operations.status_monitored", monitored, MODULE)
    register_check("operations.status_confirmed", confirmed_daily, MODULE)
    register_check("operations.status_coverage", coverage, MODULE)
