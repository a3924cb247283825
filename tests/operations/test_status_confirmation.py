"""The daily confirmation of operating status (SRM 21-1, 21-2): availability per Tokyo day and
month, the page with its button, who may confirm, corrections and missed days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mamori.accounts.models import Department, User
from mamori.core.errors import Refused
from mamori.operations.models import (
    DailyConfirmation,
    MissedConfirmation,
    MonitoredService,
    ServiceState,
    StatusSetting,
    System,
)
from mamori.operations.services import status
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db

TOKYO = status.TOKYO


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO)


@pytest.fixture
def service(db: None) -> MonitoredService:
    department, _ = Department.objects.get_or_create(
        code="systems", defaults={"name_ja": "システム部", "name_en": "Systems"}
    )
    system = System.objects.create(
        code="web", name_ja="取引画面", name_en="Web", department=department, criticality="high"
    )
    return MonitoredService.objects.create(
        code="trading-web",
        name_ja="取引画面",
        name_en="Trading web",
        system=system,
        availability_target=Decimal("99.900"),
    )


@pytest.fixture
def manager(db: None) -> User:
    return give(make_user("dsm-tanaka"), "dept_system_manager")


def test_a_tokyo_day_with_half_an_hour_down_is_below_its_target(
    service: MonitoredService,
) -> None:
    day = date(2026, 11, 10)
    start, end = status.day_bounds(day)
    ServiceState.objects.create(
        service=service, state="up", started_at=start - timedelta(days=1), ended_at=at(day, 9)
    )
    ServiceState.objects.create(
        service=service, state="down", started_at=at(day, 9), ended_at=at(day, 9, 30)
    )
    ServiceState.objects.create(
        service=service, state="degraded", started_at=at(day, 9, 30), ended_at=at(day, 10)
    )
    ServiceState.objects.create(service=service, state="up", started_at=at(day, 10))
    [row] = status.day_availability(day, now=end + timedelta(days=5))
    assert row.availability.seconds == {
        "up": 82_800,
        "degraded": 1_800,
        "down": 1_800,
        "unknown": 0,
    }
    assert row.availability.percent == Decimal("97.917")
    assert row.meets_target is False
    # the month: 30 days, 1,800 seconds down
    [month] = status.month_availability(2026, 11, now=at(date(2026, 12, 5), 0))
    assert month.availability.seconds["down"] == 1_800
    assert month.availability.seconds["unknown"] == 8 * 86_400  # nothing known before the 9th
    assert month.availability.percent == Decimal("99.905")  # 1,800 s of 22 days down
    assert month.meets_target is True


def test_today_so_far_counts_only_time_already_past(service: MonitoredService) -> None:
    day = date(2026, 11, 10)
    ServiceState.objects.create(service=service, state="up", started_at=at(day, 0))
    [row] = status.day_availability(day, now=at(day, 6))
    assert row.availability.seconds["up"] == 6 * 3_600
    assert row.availability.seconds["unknown"] == 0


def test_a_person_who_is_not_a_system_manager_cannot_confirm_a_day(
    service: MonitoredService,
) -> None:
    developer = give(make_user("dev-nakamura"), "developer")
    auditor = give(make_user("audit-kato"), "internal_auditor")
    yesterday = timezone.now().astimezone(TOKYO).date() - timedelta(days=1)
    for person in (developer, auditor):
        with pytest.raises(Refused) as refused:
            status.confirm(yesterday, person, no_abnormality=True)
        assert refused.value.code == "not_system_manager"
    assert not DailyConfirmation.objects.exists()
    # the page refuses them too
    assert (
        client_for(developer).post("/operations/status/confirm/", {"day": yesterday}).status_code
        == 403
    )


def test_the_system_manager_confirms_from_the_page_and_a_second_record_is_a_correction(
    english: None, service: MonitoredService, manager: User
) -> None:
    yesterday = timezone.now().astimezone(TOKYO).date() - timedelta(days=1)
    ServiceState.objects.create(
        service=service, state="up", started_at=status.day_bounds(yesterday)[0]
    )
    client = client_for(manager)
    page = client.get(f"/operations/status/daily/?day={yesterday.isoformat()}")
    assert page.status_code == 200
    assert b"trading-web" in page.content and b'id="status-ok"' in page.content
    assert b"100.000%" in page.content
    client.post("/operations/status/confirm/", {"day": yesterday.isoformat(), "outcome": "ok"})
    first = DailyConfirmation.objects.get(date=yesterday)
    assert first.no_abnormality and first.confirmed_by == manager
    assert first.snapshot["availability"]["trading-web"]["percent"] == "100.000"
    # confirming again without correcting is refused; a correction points at the first
    with pytest.raises(Refused) as refused:
        status.confirm(yesterday, manager, no_abnormality=True)
    assert refused.value.code == "already_confirmed"
    client.post(
        "/operations/status/confirm/",
        {"day": yesterday.isoformat(), "outcome": "found", "findings": "遅延あり", "correct": "1"},
    )
    correction = DailyConfirmation.objects.get(corrects=first)
    assert correction.findings == "遅延あり" and not correction.no_abnormality
    month = client.get(f"/operations/status/month/?month={yesterday:%Y-%m}")
    assert month.status_code == 200
    assert (
        "analysed — no abnormality" in month.content.decode()
        or "分析済み" in month.content.decode()
    )


def test_findings_are_required_when_an_abnormality_is_recorded(
    service: MonitoredService, manager: User
) -> None:
    yesterday = timezone.now().astimezone(TOKYO).date() - timedelta(days=1)
    with pytest.raises(Refused) as refused:
        status.confirm(yesterday, manager, no_abnormality=False, findings="  ")
    assert refused.value.code == "findings_required"


def test_a_day_not_confirmed_by_the_set_hour_of_the_next_day_is_a_finding_raised_once(
    service: MonitoredService, manager: User
) -> None:
    StatusSetting.objects.create(confirm_by_hour=10)
    day = date(2026, 11, 10)
    ServiceState.objects.create(service=service, state="up", started_at=at(day, 0))
    assert status.check_missed(now=at(day + timedelta(days=1), 9, 59), days=1) == 0
    assert status.check_missed(now=at(day + timedelta(days=1), 10, 1), days=1) == 1
    assert status.check_missed(now=at(day + timedelta(days=1), 11), days=1) == 0  # once
    missed = MissedConfirmation.objects.get()
    assert missed.date == day and missed.due_at == at(day + timedelta(days=1), 10)
    # a day confirmed in time is not a finding
    status.confirm(day + timedelta(days=1), manager, True, now=at(day + timedelta(days=2), 8))
    assert status.check_missed(now=at(day + timedelta(days=2), 12), days=1) == 0


def test_without_monitored_services_no_day_is_missed(db: None) -> None:
    assert status.check_missed(now=timezone.now()) == 0
