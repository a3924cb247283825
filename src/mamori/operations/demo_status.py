"""Demo data of operating-status monitoring (SRM 21-1, 21-2): a monitored service for each of
さくらデジタル取引所's systems, a week of states with one degraded day on the web front end —
an alert from Alertmanager that raised a system-failure incident — and yesterday's
confirmation by the system manager."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from mamori.accounts.models import User
from mamori.core.demo import DemoReport
from mamori.operations.models import (
    DailyConfirmation,
    Incident,
    MonitoredService,
    ServiceState,
    System,
)
from mamori.operations.services import incidents, status

#: system code → (service code, Japanese name, English name)
SERVICES = {
    "matching-engine": ("order-matching", "注文約定", "Order matching"),
    "wallet-service": ("deposits-withdrawals", "入出庫", "Deposits and withdrawals"),
    "web": ("trading-web", "取引画面", "Trading web"),
    "kyc": ("kyc-checks", "本人確認", "Identity checks"),
    "db": ("balance-db", "残高データベース", "Balance database"),
}
DEGRADED_SERVICE = "trading-web"
ALERT = "TradingWebHighLatency"


def _services() -> list[MonitoredService]:
    found = []
    for system in System.objects.filter(code__in=SERVICES).order_by("code"):
        code, name_ja, name_en = SERVICES[system.code]
        target = Decimal("99.950") if system.criticality == "high" else Decimal("99.900")
        service, _created = MonitoredService.objects.get_or_create(
            code=code,
            defaults={
                "name_ja": name_ja,
                "name_en": name_en,
                "system": system,
                "availability_target": target,
            },
        )
        found.append(service)
    return found


def _degraded_incident(start: datetime) -> Incident:
    incident, _new = incidents.raise_incident(
        Incident.Source.WEBHOOK,
        f"demo-status:{ALERT}:{start.date().isoformat()}",
        "取引画面の応答遅延 / trading web responding slowly",
        Incident.Kind.SYSTEM_FAILURE,
        location="trading-web",
        detected_at=start,
        description=f"Alertmanager: {ALERT} firing (p99 latency > 2s) — 応答時間の悪化",
        systems=["web"],
    )
    return incident


def _week(services: list[MonitoredService], now: datetime) -> Incident | None:
    today = now.astimezone(status.TOKYO).date()
    week_start = datetime.combine(today - timedelta(days=7), time.min, tzinfo=status.TOKYO)
    degraded_day = today - timedelta(days=3)
    slow_from = datetime.combine(degraded_day, time(10, 5), tzinfo=status.TOKYO)
    slow_until = datetime.combine(degraded_day, time(12, 35), tzinfo=status.TOKYO)
    incident = None
    for service in services:
        if service.code != DEGRADED_SERVICE:
            ServiceState.objects.create(
                service=service, state="up", started_at=week_start, cause="probe ok"
            )
            continue
        incident = _degraded_incident(slow_from)
        ServiceState.objects.create(
            service=service,
            state="up",
            started_at=week_start,
            ended_at=slow_from,
            cause="probe ok",
        )
        ServiceState.objects.create(
            service=service,
            state="degraded",
            started_at=slow_from,
            ended_at=slow_until,
            cause=f"alert {ALERT} firing",
            incident=incident,
        )
        ServiceState.objects.create(
            service=service,
            state="up",
            started_at=slow_until,
            cause=f"alert {ALERT} resolved",
        )
    MonitoredService.objects.filter(pk__in=[s.pk for s in services]).update(
        state="up", state_since=week_start
    )
    return incident


def load(report: DemoReport) -> None:
    """Monitor the demo systems, a week of states with one degraded day and yesterday's
    confirmation (idempotent)."""
    manager = User.objects.filter(username="tanaka").first()
    if manager is None or not System.objects.filter(code__in=SERVICES).exists():
        return
    services = _services()
    if ServiceState.objects.filter(service__in=services).exists():
        return
    now = timezone.now()
    incident = _week(services, now)
    yesterday = now.astimezone(status.TOKYO).date() - timedelta(days=1)
    if not DailyConfirmation.objects.filter(date=yesterday).exists():
        status.confirm(yesterday, manager, no_abnormality=True, now=now)
    reference = incident.reference if incident else "—"
    report.lines.append(
        f"Operating status: {len(services)} monitored services with a week of states, "
        f"one degraded day on the trading web ({reference}), yesterday confirmed by the "
        "system manager — see /operations/status/daily/, /operations/status/month/, /metrics"
    )
