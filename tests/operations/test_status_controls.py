"""The controls of operating-status monitoring (SRM 12-1, 21-1, 21-2): not measured without
records, green when the records show the article met, red naming what is missing; and the demo
that gives them a week of records."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mamori.accounts.models import Department, User
from mamori.core.compliance import get_check
from mamori.operations.models import (
    DailyConfirmation,
    MonitoredService,
    ServiceState,
    System,
)
from mamori.operations.services import status
from tests.conftest import give, make_user

pytestmark = pytest.mark.django_db


def _system(code: str, criticality: str = "high", lifecycle: str = "live") -> System:
    department, _ = Department.objects.get_or_create(
        code="systems", defaults={"name_ja": "システム部", "name_en": "Systems"}
    )
    return System.objects.create(
        code=code,
        name_ja=code,
        name_en=code,
        department=department,
        criticality=criticality,
        lifecycle=lifecycle,
    )


def _service(system: System) -> MonitoredService:
    return MonitoredService.objects.create(
        code=f"{system.code}-svc", name_ja="s", name_en="s", system=system
    )


def test_without_systems_or_services_every_status_control_is_not_measured(db: None) -> None:
    for code in (
        "operations.status_monitored",
        "operations.status_confirmed",
        "operations.status_coverage",
    ):
        result = get_check(code).run()
        assert not result.passed and result.evidence["measured"] is False, code
        assert result.summary_en.startswith("not measured")


def test_monitoring_is_green_when_every_high_system_has_a_reporting_service(db: None) -> None:
    engine = _system("matching-engine")
    _system("kyc", criticality="medium")
    service = _service(engine)
    ServiceState.objects.create(
        service=service, state="up", started_at=timezone.now() - timedelta(days=3)
    )
    result = get_check("operations.status_monitored").run(period_hours=24)
    assert result.passed, result.summary_en
    # coverage counts every live system: kyc is not monitored
    coverage = get_check("operations.status_coverage").run(min_percent=100)
    assert not coverage.passed and coverage.evidence["share"] == "50.0"
    assert "kyc" in coverage.summary_en
    assert get_check("operations.status_coverage").run(min_percent=50).passed


def test_monitoring_is_red_for_an_unmonitored_high_system_and_a_silent_service(
    db: None,
) -> None:
    service = _service(_system("matching-engine"))
    _system("wallet-service")
    ServiceState.objects.create(
        service=service,
        state="up",
        started_at=timezone.now() - timedelta(days=3),
        ended_at=timezone.now() - timedelta(days=2),
    )
    result = get_check("operations.status_monitored").run(period_hours=24)
    assert not result.passed
    assert result.evidence["unmonitored_systems"] == ["wallet-service"]
    assert result.evidence["silent_services"] == ["matching-engine-svc"]


def test_daily_confirmation_is_green_when_every_due_day_was_confirmed_and_red_for_a_gap(
    db: None,
) -> None:
    manager: User = give(make_user("dsm"), "dept_system_manager")
    service = _service(_system("web"))
    now = timezone.now()
    today = now.astimezone(status.TOKYO).date()
    ServiceState.objects.create(
        service=service, state="up", started_at=status.day_bounds(today - timedelta(days=3))[0]
    )
    for back in (3, 2, 1):
        day = today - timedelta(days=back)
        status.confirm(day, manager, True, now=status.day_bounds(day)[1] + timedelta(hours=1))
    result = get_check("operations.status_confirmed").run(period_days=30)
    assert result.passed, result.summary_en
    # a day confirmed only after its due time is a miss
    late = today - timedelta(days=2)
    DailyConfirmation.objects.filter(date=late).update(at=status.due_at(late) + timedelta(hours=1))
    result = get_check("operations.status_confirmed").run(period_days=30)
    assert not result.passed and result.evidence["missed"] == [late.isoformat()]


def test_the_demo_monitors_the_systems_with_a_degraded_day_and_yesterday_confirmed() -> None:
    from mamori.core.demo import load_demo
    from mamori.operations.models import Incident

    report = load_demo()
    assert any("Operating status" in line for line in report.lines)
    assert MonitoredService.objects.count() == 5
    degraded = ServiceState.objects.get(state="degraded")
    assert degraded.incident is not None
    assert degraded.incident.kind == Incident.Kind.SYSTEM_FAILURE
    yesterday = timezone.now().astimezone(status.TOKYO).date() - timedelta(days=1)
    confirmation = DailyConfirmation.objects.get(date=yesterday)
    assert confirmation.no_abnormality and confirmation.confirmed_by.username == "tanaka"
    day = degraded.started_at.astimezone(status.TOKYO).date()
    web = next(r for r in status.day_availability(day) if r.service.code == "trading-web")
    assert web.availability.seconds["degraded"] == 150 * 60
    assert web.availability.percent == Decimal("100.000")
    assert get_check("operations.status_monitored").run().passed
    assert get_check("operations.status_coverage").run().passed
    load_demo()  # idempotent
    assert ServiceState.objects.filter(state="degraded").count() == 1
