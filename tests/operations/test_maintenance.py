"""Maintenance announced to customers in advance (SRM 13): the notice goes through the guard's
approval and is then on the public status page and the iCal feed; a maintenance started
without its notice published the minimum notice before is one finding; an emergency exception
shows on the finding; the minimum notice is data; the control measures it all."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from mamori.accounts.models import ApprovalRequest, Department, User
from mamori.accounts.services import approvals, tokens
from mamori.core.compliance import get_check
from mamori.guard.models import Function, Notice
from mamori.guard.services import notices
from mamori.operations import compliance_maintenance
from mamori.operations.models import ChangeFinding, Maintenance, MaintenanceNoticeRule, System
from mamori.operations.services import maintenance as service
from mamori.operations.services import maintenance_rules
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db: None) -> dict[str, User]:
    """A department system manager who plans maintenance, a CISO who approves notices, an
    operator who may only look and someone with no role."""
    return {
        "dsm": give(make_user("dsm-tanaka"), "dept_system_manager"),
        "ciso": give(make_user("ciso-kim"), "ciso"),
        "operator": give(make_user("op-kobayashi"), "operator"),
        "nobody": make_user("nobody"),
    }


@pytest.fixture
def engine(team: dict[str, User]) -> System:
    department, _ = Department.objects.get_or_create(
        code="systems", defaults={"name_ja": "システム部", "name_en": "Systems"}
    )
    return System.objects.create(
        code="matching-engine",
        name_ja="マッチングエンジン",
        name_en="Matching engine",
        department=department,
        criticality=System.Criticality.HIGH,
    )


def _plan(
    by: User, engine: System, start: datetime, *, kind: str = "periodic", **extra: object
) -> Maintenance:
    trading, _ = Function.objects.get_or_create(
        code="trading", defaults={"name_ja": "取引", "name_en": "Trading"}
    )
    data = {
        "title_ja": "マッチングエンジンの定期メンテナンス",
        "title_en": "Matching engine maintenance",
        "description_ja": "取引を一時停止します。",
        "description_en": "Trading is paused.",
        "internal_notes": "kernel 6.12 patch on me-01",
        "kind": kind,
        "planned_start": start,
        "planned_end": start + timedelta(hours=2),
        **extra,
    }
    return service.plan(data, [engine], by, [trading])


def _announce(maintenance: Maintenance, team: dict[str, User]) -> Maintenance:
    notice = service.announce(maintenance, team["dsm"])
    notices.approve(notice, team["ciso"])
    maintenance.refresh_from_db()
    return maintenance


def test_an_announced_maintenance_is_on_the_status_page_and_in_the_ical_feed_once_approved(
    team: dict[str, User], engine: System
) -> None:
    upcoming = _plan(team["dsm"], engine, timezone.now() + timedelta(days=10))
    service.announce(upcoming, team["dsm"])
    upcoming.refresh_from_db()
    anonymous = Client()
    assert upcoming.status == "planned" and upcoming.notice.publication == "pending"
    assert "Matching engine maintenance" not in anonymous.get("/status/?lang=en").content.decode()
    assert b"BEGIN:VEVENT" not in anonymous.get("/status/maintenance.ics").content

    with pytest.raises(notices.NoticeRefused):  # the author never approves their own notice
        notices.approve(upcoming.notice, team["dsm"])
    notices.approve(upcoming.notice, team["ciso"])
    upcoming.refresh_from_db()
    assert upcoming.status == "announced"
    assert upcoming.notice_published_at == upcoming.notice.published_at
    assert upcoming.notice.kind == Notice.Kind.MAINTENANCE

    page = anonymous.get("/status/?lang=en").content.decode()
    assert "Matching engine maintenance" in page and "kernel" not in page
    assert (
        "マッチングエンジンの定期メンテナンス" in anonymous.get("/status/?lang=ja").content.decode()
    )
    assert (
        "Matching engine maintenance" in anonymous.get("/status/feed.atom?lang=en").content.decode()
    )

    answer = anonymous.get("/status/maintenance.ics?lang=en")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(answer.content).walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["SUMMARY"]) == "Matching engine maintenance"
    assert event.decoded("DTSTART") == upcoming.planned_start.replace(microsecond=0)
    assert event.decoded("DTEND") == upcoming.planned_end.replace(microsecond=0)
    assert "kernel" not in str(event["DESCRIPTION"])  # no internal detail for the public
    ja = Calendar.from_ical(anonymous.get("/status/maintenance.ics?lang=ja").content)
    assert str(ja.walk("VEVENT")[0]["SUMMARY"]) == "マッチングエンジンの定期メンテナンス"


def test_the_staff_ical_feed_has_internal_details_and_asks_for_sign_in(
    team: dict[str, User], engine: System
) -> None:
    _plan(team["dsm"], engine, timezone.now() + timedelta(days=3))  # not announced
    assert Client().get("/operations/maintenance/calendar.ics").status_code == 302
    assert client_for(team["nobody"]).get("/operations/maintenance/calendar.ics").status_code == 403
    answer = client_for(team["operator"]).get("/operations/maintenance/calendar.ics")
    event = Calendar.from_ical(answer.content).walk("VEVENT")[0]
    assert "kernel 6.12 patch" in str(event["DESCRIPTION"])
    assert "matching-engine" in str(event["DESCRIPTION"])
    secret = tokens.issue("calendar", ["maintenance:read"], 30, team["operator"]).secret
    other = tokens.issue("other", ["incidents:read"], 30, None).secret
    api = Client().get("/api/operations/maintenance.ics", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.status_code == 200 and api["Content-Type"].startswith("text/calendar")
    assert "kernel 6.12 patch" in str(
        Calendar.from_ical(api.content).walk("VEVENT")[0]["DESCRIPTION"]
    )
    refused = Client().get("/api/operations/maintenance.ics", HTTP_AUTHORIZATION=f"Bearer {other}")
    assert refused.status_code in (401, 403)


def test_a_maintenance_started_with_a_late_notice_raises_one_finding(
    team: dict[str, User], engine: System
) -> None:
    late = _announce(_plan(team["dsm"], engine, timezone.now() + timedelta(days=2)), team)
    assert not service.notice_on_time(late)  # 2 days' notice where 7 are required
    service.start(late, team["dsm"])
    service.check_started()
    service.check_started()
    findings = ChangeFinding.objects.filter(kind="maintenance_without_notice")
    assert findings.count() == 1
    detail = findings.get().detail
    assert detail["reference"] == late.reference and detail["minimum_notice_days"] == 7
    assert detail["notice_published_at"] is not None and detail["exception"] is False


def test_a_planned_start_passed_without_any_notice_is_found_by_the_job(
    team: dict[str, User], engine: System
) -> None:
    silent = _plan(team["dsm"], engine, timezone.now() + timedelta(hours=1))
    assert service.check_started()["raised"] == 0  # not started yet
    result = service.check_started(timezone.now() + timedelta(hours=2))
    assert result["raised"] == 1
    finding = service.finding_for(silent)
    assert finding is not None and finding.detail["notice_published_at"] is None


def test_a_notice_published_in_time_raises_nothing_and_the_control_is_green(
    team: dict[str, User], engine: System
) -> None:
    assert not compliance_maintenance.notices_on_time().evidence["measured"]
    start = timezone.now() + timedelta(days=8)
    on_time = _announce(_plan(team["dsm"], engine, start), team)
    service.start(on_time, team["dsm"], start)  # recorded as it happened
    # checked as if it were now eight days later
    Maintenance.objects.filter(pk=on_time.pk).update(
        planned_start=timezone.now() - timedelta(hours=1),
        planned_end=timezone.now() + timedelta(hours=1),
        actual_start=timezone.now() - timedelta(hours=1),
        notice_published_at=timezone.now() - timedelta(days=8),
    )
    assert service.check_started()["raised"] == 0
    result = get_check("operations.maintenance_notices").run(period_days=90)
    assert result.passed and result.evidence["started"] == 1


def test_a_late_notice_turns_the_control_red_naming_the_maintenance(
    team: dict[str, User], engine: System
) -> None:
    late = _announce(_plan(team["dsm"], engine, timezone.now() + timedelta(days=1)), team)
    service.start(late, team["dsm"])
    result = compliance_maintenance.notices_on_time()
    assert not result.passed and result.evidence["measured"]
    assert late.reference in result.summary_en and "7 days ahead required" in result.summary_en


def test_an_emergency_exception_needs_a_reason_and_shows_on_the_finding(
    team: dict[str, User], engine: System
) -> None:
    start = timezone.now() + timedelta(hours=3)
    with pytest.raises(service.MaintenanceRefused) as refused:
        _plan(team["dsm"], engine, start, kind="timely", exception=True)
    assert refused.value.code == "exception_reason_required"
    with pytest.raises(service.MaintenanceRefused) as periodic:
        _plan(team["dsm"], engine, start, exception=True, exception_reason="x")
    assert periodic.value.code == "exception_not_timely"
    urgent = _plan(
        team["dsm"],
        engine,
        start,
        kind="timely",
        exception=True,
        exception_reason="CVE-2026-1234 exploited in the wild: patch tonight",
    )
    _announce(urgent, team)
    service.start(urgent, team["dsm"])
    finding = service.finding_for(urgent)
    assert finding is not None  # an exception is shown, not hidden
    assert finding.detail["exception"] is True
    assert "CVE-2026-1234" in finding.detail["exception_reason"]
    page = client_for(team["operator"]).get(f"/operations/maintenance/{urgent.pk}/")
    assert "CVE-2026-1234" in page.content.decode()
    assert 'id="finding-exception"' in page.content.decode()
    assert "exception: CVE-2026-1234" in compliance_maintenance.notices_on_time().summary_en


def test_the_minimum_notice_is_raised_by_a_manager_and_lowered_only_with_two_officers(
    team: dict[str, User], engine: System
) -> None:
    three_days = _announce(_plan(team["dsm"], engine, timezone.now() + timedelta(days=3)), team)
    assert service.required_notice(three_days) == timedelta(days=7)
    assert not service.notice_on_time(three_days)
    refused = client_for(team["operator"]).post(
        "/operations/maintenance/rules/", {"criticality": "high", "minimum_days": "1"}
    )
    assert refused.status_code == 403
    manager = client_for(team["dsm"])
    lowered = manager.post(
        "/operations/maintenance/rules/",
        {"criticality": "high", "minimum_days": "2"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    # less warning to customers waits for two officers, never the manager alone
    assert "waits for two officers" in lowered.content.decode()
    assert MaintenanceNoticeRule.objects.get(criticality="high").minimum_days == 7
    assert service.required_notice(three_days) == timedelta(days=7)
    request = ApprovalRequest.objects.get(kind=maintenance_rules.KIND)
    assert 'id="pending-rules"' in lowered.content.decode()
    with pytest.raises(approvals.ApprovalRefused):
        approvals.decide(request.pk, team["dsm"], "approve", "mine")
    approvals.decide(request.pk, team["ciso"], "approve", "a customer-facing fix")
    assert service.required_notice(three_days) == timedelta(days=7)  # one officer is not two
    approvals.decide(
        request.pk, give(make_user("sgm-sato"), "system_general_manager"), "approve", "ok"
    )
    assert MaintenanceNoticeRule.objects.get(criticality="high").minimum_days == 2
    assert service.required_notice(three_days) == timedelta(days=2)
    assert service.notice_on_time(three_days)
    # raising it gives customers more warning: at once
    raised = manager.post(
        "/operations/maintenance/rules/", {"criticality": "high", "minimum_days": "10"}
    )
    assert raised.status_code == 302
    assert MaintenanceNoticeRule.objects.get(criticality="high").minimum_days == 10
    assert ApprovalRequest.objects.filter(kind=maintenance_rules.KIND).count() == 1


def test_people_without_the_permission_are_refused(team: dict[str, User], engine: System) -> None:
    planned = _plan(team["dsm"], engine, timezone.now() + timedelta(days=9))
    operator = client_for(team["operator"])
    assert operator.get("/operations/maintenance/").status_code == 200
    assert operator.get(f"/operations/maintenance/{planned.pk}/").status_code == 200
    assert operator.get("/operations/maintenance/add/").status_code == 403
    assert operator.post(f"/operations/maintenance/{planned.pk}/announce/").status_code == 403
    assert operator.get(f"/operations/maintenance/{planned.pk}/edit/").status_code == 403
    nobody = client_for(team["nobody"])
    for url in ("/operations/maintenance/", "/operations/maintenance/list/"):
        assert nobody.get(url).status_code == 403
    planned.refresh_from_db()
    assert planned.notice is None


def test_changing_an_announced_maintenance_sends_an_update_for_approval_and_cancelling_resolves(
    team: dict[str, User], engine: System
) -> None:
    announced = _announce(_plan(team["dsm"], engine, timezone.now() + timedelta(days=9)), team)
    later = timezone.localtime(announced.planned_start + timedelta(days=1))
    answer = client_for(team["dsm"]).post(
        f"/operations/maintenance/{announced.pk}/edit/",
        {
            "title_ja": announced.title_ja,
            "title_en": announced.title_en,
            "description_ja": announced.description_ja,
            "description_en": announced.description_en,
            "kind": "periodic",
            "systems": [engine.pk],
            "planned_start": later.strftime("%Y-%m-%dT%H:%M"),
            "planned_end": (later + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert answer.status_code == 302
    update = announced.notice.updates.get()
    assert update.publication == "pending" and later.strftime("%Y-%m-%d") in update.text_en
    notices.approve(update, team["ciso"])
    announced.notice.refresh_from_db()
    assert announced.notice.starts_at == later.replace(second=0, microsecond=0)
    service.cancel(announced, team["dsm"])
    cancelled = announced.notice.updates.get(resolves=True)
    assert "cancelled" in cancelled.text_en
    notices.approve(cancelled, team["ciso"])
    announced.notice.refresh_from_db()
    assert announced.notice.resolved
    assert b"BEGIN:VEVENT" not in Client().get("/status/maintenance.ics").content


def test_finishing_an_announced_maintenance_tells_customers_when_it_ended(
    team: dict[str, User], engine: System
) -> None:
    announced = _announce(_plan(team["dsm"], engine, timezone.now() + timedelta(days=9)), team)
    service.start(announced, team["dsm"])
    ended = (timezone.now() + timedelta(minutes=1)).replace(second=0, microsecond=0)
    service.finish(announced, team["dsm"], at=ended)
    update = announced.notice.updates.get(resolves=True)
    japan = timezone.localtime(ended).strftime("%Y-%m-%d %H:%M")  # the site's zone: Tokyo
    assert update.publication == "pending" and japan in update.text_en and japan in update.text_ja
    assert not Client().get("/status/").content.decode().count(update.text_en)  # not yet
    notices.approve(update, team["ciso"])
    announced.notice.refresh_from_db()
    assert announced.notice.resolved
    assert update.text_en in Client().get("/status/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_maintenance_begun_before_its_planned_start_is_measured_from_when_it_began(
    team: dict[str, User], engine: System
) -> None:
    """Customers told 02:00, seven days ahead, got less than seven days' warning of a
    maintenance begun at 01:00: the finding is raised (the planned start alone said on time)."""
    planned = _announce(_plan(team["dsm"], engine, timezone.now() + timedelta(days=9)), team)
    published = planned.planned_start - timedelta(days=7)
    Maintenance.objects.filter(pk=planned.pk).update(notice_published_at=published)
    planned.refresh_from_db()
    assert service.notice_on_time(planned)
    service.start(planned, team["dsm"], at=planned.planned_start - timedelta(hours=1))
    assert not service.notice_on_time(planned)
    assert service.finding_for(planned).detail["actual_start"] is not None
