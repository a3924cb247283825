"""Reporting obligations with clocks (SRM 6-1-3, 7-3; ISM 8-1-3, 9-3; APPI art. 26): made from
the rules, due times across weekends and holidays, escalation before due, marking sent, the
control of reports on time, the report exported as PDF and Word."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from mamori.engines.incidents.clocks import TOKYO
from mamori.notifications.models import Notification
from mamori.operations.compliance_obligations import reports_on_time
from mamori.operations.models import Incident, Obligation, ObligationRule
from mamori.operations.services import incidents, obligations
from mamori.operations.services import obligation_reports as reports
from tests.conftest import give, make_user

pytestmark = pytest.mark.django_db

#: Friday 20 November 2026, 22:00 in Tokyo; Monday 23 November is a public holiday.
FRIDAY_NIGHT = datetime(2026, 11, 20, 22, 0, tzinfo=TOKYO)


@pytest.fixture
def staff() -> dict[str, object]:
    return {
        "sgm": give(make_user("sgm-kato"), "system_general_manager"),
        "ciso": give(make_user("ciso-hara"), "ciso"),
        "op": give(make_user("op-mori"), "operator"),
    }


def _leak(staff: dict[str, object], unauthorised: bool = False, drill: bool = False) -> Incident:
    with time_machine.travel(FRIDAY_NIGHT + timedelta(minutes=10), tick=False):
        incident = incidents.report(
            "顧客名簿の誤送信 / Customer list mailed outside",
            "mail",
            staff["op"],  # type: ignore[arg-type]
            kind=Incident.Kind.INFORMATION_LEAK,
            detected_at=FRIDAY_NIGHT,
            drill=drill,
            facts={"records_affected": 20, "unauthorised_access": unauthorised},
        )
        obligations.evaluate(incident)
    return incident


def _due(incident: Incident, code: str) -> datetime:
    return timezone.localtime(incident.obligations.get(rule__code=code).due_at, TOKYO)


def test_a_personal_data_leak_gets_its_ppc_deadlines_across_the_weekend_and_the_holiday(
    staff: dict[str, object],
) -> None:
    incident = _leak(staff)
    codes = set(incident.obligations.values_list("rule__code", flat=True))
    assert {"sgm-first", "ciso-first", "ppc-preliminary", "ppc-confirmed-30"} <= codes
    assert "ppc-confirmed-60" not in codes
    # 3 days from Friday is Monday 23 November, a holiday: the next business day, Tuesday
    assert _due(incident, "ppc-preliminary") == datetime(2026, 11, 24, 23, 59, 59, tzinfo=TOKYO)
    # 30 days is Sunday 20 December: Monday 21 December
    assert _due(incident, "ppc-confirmed-30") == datetime(2026, 12, 21, 23, 59, 59, tzinfo=TOKYO)
    assert _due(incident, "sgm-first") == datetime(2026, 11, 20, 23, 0, tzinfo=TOKYO)
    assert _due(incident, "customers-notice") == datetime(2026, 11, 24, 23, 59, 59, tzinfo=TOKYO)
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds.count("obligation") == incident.obligations.count()


def test_unauthorised_access_gives_the_ppc_sixty_days(staff: dict[str, object]) -> None:
    incident = _leak(staff, unauthorised=True)
    assert _due(incident, "ppc-confirmed-60") == datetime(2027, 1, 19, 23, 59, 59, tzinfo=TOKYO)
    assert not incident.obligations.filter(rule__code="ppc-confirmed-30").exists()


def test_changing_the_facts_re_evaluates_the_obligations(staff: dict[str, object]) -> None:
    incident = _leak(staff)
    with time_machine.travel(FRIDAY_NIGHT + timedelta(hours=1), tick=False):
        incidents.update_facts(incident, {"unauthorised_access": True}, staff["sgm"])  # type: ignore[arg-type]
        counts = obligations.evaluate(incident)
    assert counts["created"] == 1 and counts["withdrawn"] == 1
    thirty = incident.obligations.get(rule__code="ppc-confirmed-30")
    assert thirty.status == Obligation.Status.WITHDRAWN
    assert obligations.evaluate(incident) == {
        "created": 0,
        "rescheduled": 0,
        "withdrawn": 0,
        "restored": 0,
    }


def test_a_severe_incident_owes_the_authorities_and_the_board(staff: dict[str, object]) -> None:
    with time_machine.travel(FRIDAY_NIGHT + timedelta(minutes=5), tick=False):
        incident = incidents.report(
            "BTC drained from the hot wallet",
            "hot wallet",
            staff["op"],  # type: ignore[arg-type]
            kind=Incident.Kind.CRYPTO_ASSET_LEAK,
            detected_at=FRIDAY_NIGHT,
            facts={"assets_at_risk_jpy": 500_000_000},
        )
        obligations.evaluate(incident)
    assert incident.severity == "S1"
    assert _due(incident, "authority-first") == FRIDAY_NIGHT + timedelta(hours=24)
    # next business day after Friday, skipping the weekend and Monday's holiday
    assert _due(incident, "board-first") == datetime(2026, 11, 24, 23, 59, 59, tzinfo=TOKYO)
    assert not incident.obligations.filter(recipient="ppc").exists()


def test_escalation_fires_before_due_exactly_once_per_threshold(staff: dict[str, object]) -> None:
    incident = _leak(staff)
    first = incident.obligations.get(rule__code="sgm-first")  # due 23:00, window 1 hour

    def topics() -> list[str]:
        return sorted(
            t.rsplit(".", 1)[1]
            for t in Notification.objects.filter(
                topic__startswith=f"operations.obligation.{first.pk}."
            ).values_list("topic", flat=True)
        )

    with time_machine.travel(FRIDAY_NIGHT + timedelta(minutes=29), tick=False):
        obligations.escalate()
    assert topics() == []
    with time_machine.travel(FRIDAY_NIGHT + timedelta(minutes=31), tick=False):
        obligations.escalate()
        obligations.escalate()
    assert topics() == ["half"]
    half = Notification.objects.get(topic=f"operations.obligation.{first.pk}.half")
    assert half.levels == [[{"user": "ciso-hara"}]]  # the commander of a leak
    with time_machine.travel(FRIDAY_NIGHT + timedelta(minutes=50), tick=False):
        obligations.escalate()
        obligations.escalate()
    assert topics() == ["eighty", "half"]
    wide = Notification.objects.get(topic=f"operations.obligation.{first.pk}.eighty")
    assert {"role": "system_general_manager", "department": None} in wide.levels[0]
    with time_machine.travel(FRIDAY_NIGHT + timedelta(minutes=61), tick=False):
        obligations.escalate()
        obligations.escalate()
    first.refresh_from_db()
    assert topics() == ["eighty", "half", "overdue"]
    assert first.overdue_at is not None and first.escalated == ["half", "eighty", "overdue"]
    assert (
        incident.timeline.filter(kind="obligation_overdue", data__obligation=first.pk).count() == 1
    )


def test_a_late_catch_up_notifies_once_for_the_latest_point(staff: dict[str, object]) -> None:
    incident = _leak(staff)
    preliminary = incident.obligations.get(rule__code="ppc-preliminary")
    with time_machine.travel(preliminary.due_at - timedelta(minutes=30), tick=False):
        obligations.escalate()
    preliminary.refresh_from_db()
    assert preliminary.escalated == ["half", "eighty", "hour"]
    assert (
        Notification.objects.filter(
            topic__startswith=f"operations.obligation.{preliminary.pk}."
        ).count()
        == 1
    )


def test_a_drill_follows_the_same_clocks_flagged_as_a_drill(staff: dict[str, object]) -> None:
    incident = _leak(staff, drill=True)
    assert incident.reference.startswith("DRL-")
    assert _due(incident, "ppc-preliminary") == datetime(2026, 11, 24, 23, 59, 59, tzinfo=TOKYO)
    with time_machine.travel(FRIDAY_NIGHT + timedelta(minutes=40), tick=False):
        obligations.escalate()
    assert Notification.objects.filter(title_ja__startswith="[訓練]").exists()
    assert reports.title(incident.obligations.first()).startswith("【訓練】")  # type: ignore[arg-type]


def test_a_report_cannot_be_marked_sent_without_its_sender_or_time(
    staff: dict[str, object],
) -> None:
    incident = _leak(staff)
    first = incident.obligations.get(rule__code="sgm-first")
    sgm = staff["sgm"]
    with time_machine.travel(FRIDAY_NIGHT + timedelta(minutes=20), tick=False):
        with pytest.raises(obligations.ObligationRefused) as refused:
            obligations.mark_sent(first, None, timezone.now(), sgm)  # type: ignore[arg-type]
        assert refused.value.code == "sender_required"
        with pytest.raises(obligations.ObligationRefused) as refused:
            obligations.mark_sent(first, sgm, None, sgm)  # type: ignore[arg-type]
        assert refused.value.code == "sent_at_required"
        with pytest.raises(obligations.ObligationRefused) as refused:
            obligations.mark_sent(first, sgm, FRIDAY_NIGHT - timedelta(hours=1), sgm)  # type: ignore[arg-type]
        assert refused.value.code == "sent_before_detection"
        done = obligations.mark_sent(first, sgm, timezone.now(), sgm, channel="phone")  # type: ignore[arg-type]
        assert done.status == Obligation.Status.SENT and done.sent_by == sgm
        with pytest.raises(obligations.ObligationRefused) as refused:
            obligations.mark_sent(first, sgm, timezone.now(), sgm)  # type: ignore[arg-type]
        assert refused.value.code == "obligation_closed"
        with pytest.raises(obligations.ObligationRefused) as refused:
            obligations.waive(incident.obligations.get(rule__code="ciso-first"), " ", sgm)  # type: ignore[arg-type]
        assert refused.value.code == "reason_required"
    assert incident.timeline.filter(kind="obligation_sent").count() == 1


def test_the_control_is_red_when_overdue_green_on_time_and_not_measured_without_reports(
    staff: dict[str, object],
) -> None:
    with time_machine.travel(FRIDAY_NIGHT, tick=False):
        nothing = reports_on_time()
    assert not nothing.passed and nothing.evidence["measured"] is False
    drill = _leak(staff, drill=True)
    with time_machine.travel(FRIDAY_NIGHT + timedelta(days=2), tick=False):
        assert reports_on_time().evidence["measured"] is False  # drills do not count
    drill.obligations.all().delete()
    incident = _leak(staff)
    ObligationRule.objects.exclude(code="sgm-first").update(active=False)
    obligations.evaluate(incident)
    first = incident.obligations.get(rule__code="sgm-first")
    with time_machine.travel(FRIDAY_NIGHT + timedelta(hours=2), tick=False):
        red = reports_on_time()
        assert not red.passed and red.evidence["overdue"]
        obligations.mark_sent(first, staff["sgm"], timezone.now(), staff["sgm"])  # type: ignore[arg-type]
        late = reports_on_time()
        assert not late.passed and late.evidence["late"]
    first.refresh_from_db()
    first.sent_at = FRIDAY_NIGHT + timedelta(minutes=30)
    first.save()
    with time_machine.travel(FRIDAY_NIGHT + timedelta(hours=2), tick=False):
        green = reports_on_time()
    assert green.passed and green.evidence["measured"] and green.evidence["reports"] == 1


def test_the_report_is_drafted_in_japanese_and_exported_as_pdf_and_word(
    staff: dict[str, object],
) -> None:
    from docx import Document

    from mamori.auditlog.models import Entry

    incident = _leak(staff)
    preliminary = incident.obligations.get(rule__code="ppc-preliminary")
    text = reports.draft_text(preliminary)
    assert "2026年11月20日 22:00（日本時間）" in text and "情報漏えい" in text
    before = Entry.objects.filter(action="export").count()
    pdf = reports.pdf_bytes(preliminary)
    assert pdf.startswith(b"%PDF")
    from pypdf import PdfReader

    read = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert incident.reference in read
    word = Document(io.BytesIO(reports.docx_bytes(preliminary)))
    paragraphs = "\n".join(p.text for p in word.paragraphs)
    assert incident.reference in paragraphs and "個人情報保護委員会" in paragraphs
    assert Entry.objects.filter(action="export").count() == before + 2
    sgm = staff["sgm"]
    with time_machine.travel(FRIDAY_NIGHT + timedelta(hours=1), tick=False):
        obligations.save_draft(preliminary, "編集した報告 / edited", sgm)  # type: ignore[arg-type]
    preliminary.refresh_from_db()
    assert reports.report_text(preliminary) == "編集した報告 / edited"


def test_a_reported_incident_gets_its_reports_from_the_hook_and_the_job(
    staff: dict[str, object], django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        incident = incidents.report(
            "Order API answers 500",
            "api-gw-1",
            staff["op"],  # type: ignore[arg-type]
            facts={"outage_minutes": 180},
        )
    assert incident.severity == "S2"
    assert incident.obligations.filter(rule__code="authority-first").exists()
    incident.obligations.all().delete()
    assert obligations.catch_up()["created"] == incident.obligations.count() > 0
    assert obligations.catch_up()["created"] == 0


def test_the_incident_reported_event_makes_the_reports(staff: dict[str, object]) -> None:
    from mamori.events.subscriptions import Event
    from mamori.operations.registrations_obligations import _incident_reported

    incident = incidents.report("Disk full", "db-1", staff["op"])  # type: ignore[arg-type]
    assert not incident.obligations.exists()
    event = Event(
        "mamori.operations.incident_reported",
        "e-1",
        {"incident": incident.reference},
        timezone.now(),
    )
    _incident_reported(event)
    assert incident.obligations.filter(rule__code="sgm-first").exists()
