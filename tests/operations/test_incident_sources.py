"""Incidents raised by mamori's own services, once each, linked to their source: a custody
halt, a reconciliation difference, a failed audit-log verification, a key spread-rule
violation (SRM 7-3, ISM 9-3)."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mamori.accounts.services import tokens
from mamori.custody.models import Asset, Halt
from mamori.custody.services import monitor
from mamori.engines import reconcile
from mamori.events import bus
from mamori.events.models import OutboxEvent
from mamori.operations.models import Incident
from mamori.operations.services import sources
from mamori.reconciliation.models import Case, Run
from mamori.reconciliation.services import cases
from tests.conftest import client_for, give, make_user, monitored_btc

pytestmark = pytest.mark.django_db
BTC = 10**8


def redeliver(subject: str) -> None:
    """Deliver the subject's events again, as an at-least-once broker may."""
    for row in OutboxEvent.objects.filter(subject=subject):
        bus.InProcessBus().deliver(
            bus.Event(row.subject, row.event_id, row.payload, row.occurred_at)
        )


@pytest.fixture
def sgm(db):
    return give(make_user("sgm-abe"), "system_general_manager")


def test_a_custody_halt_raises_one_incident_linked_to_the_halt(
    sgm, django_capture_on_commit_callbacks
) -> None:
    monitor.reset()
    operator = give(make_user("op-watanabe"), "custody_operator")
    monitored_btc(operator, [("all", "all", "halt", 10 * BTC, 3600)])
    issued = tokens.issue("exchange", ["custody:check"], 30, None)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(4):
            body = {
                "request_id": f"d{i}",
                "customer": f"x{i}",
                "asset": "BTC",
                "amount": str(4 * BTC),
                "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            }
            api.post("/api/custody/withdrawals/check", body, content_type="application/json")
    monitor.reset()
    halt = Halt.objects.get()
    incident = Incident.objects.get()
    assert incident.source == "custody" and incident.kind == "system_failure"
    assert incident.assets == ["BTC"] and incident.commander == sgm
    assert incident.detected_at == halt.started_at
    link = incident.links.get()
    assert (link.object_type, link.object_key) == ("custody.halt", str(halt.pk))
    assert incident.timeline.filter(kind="link").exists()
    redeliver("mamori.custody.halt_started")
    assert sources.raise_for_halt(halt.halt_id) == incident
    assert sources.catch_up_halts() == 0 and Incident.objects.count() == 1
    page = client_for(sgm).get(f"/operations/incidents/{incident.reference}/").content.decode()
    assert f'href="{reverse("custody:halt", kwargs={"pk": halt.pk})}"' in page
    # and its clocks: the system general manager is owed a report within the hour of detection
    from datetime import timedelta

    from mamori.operations.models import Obligation

    owed = Obligation.objects.get(incident=incident, recipient="system_general_manager")
    assert owed.due_at == halt.started_at + timedelta(hours=1) and owed.status == "due"
    assert f'id="obligation-{owed.pk}"' in page


def test_a_reconciliation_difference_raises_one_incident_and_the_case_names_it(
    sgm, django_capture_on_commit_callbacks
) -> None:
    monitor.reset()  # the case orders a halt: the monitor's memory is this test's alone
    try:
        _reconciliation_case(django_capture_on_commit_callbacks)
    finally:
        monitor.reset()


def _reconciliation_case(django_capture_on_commit_callbacks) -> None:
    owner = make_user("op-kato")
    Asset.objects.create(code="ETH", name="Ether", chain="ethereum", decimals=18, responsible=owner)
    run = Run.objects.create(trigger="manual", day=date.today(), started_at=timezone.now())
    wallet = reconcile.WalletOutcome("ETH-hot", 10, 0, 5, -5, reconcile.Status.DIFFERENCE)
    outcome = reconcile.AssetOutcome("ETH", 10, 0, 5, -5, reconcile.Status.DIFFERENCE, (wallet,))
    with django_capture_on_commit_callbacks(execute=True):
        case = cases.open_for(run, outcome)
        cases.open_for(run, outcome)  # the next run notes the same case
    incident = Incident.objects.get()
    case.refresh_from_db()
    assert case.incident_reference == incident.reference
    assert incident.source == "reconciliation" and incident.assets == ["ETH"]
    link = incident.links.get()
    assert (link.object_type, link.object_key) == ("reconciliation.case", str(case.pk))
    redeliver("mamori.reconciliation.case_opened")
    assert Incident.objects.count() == 1 and Case.objects.count() == 1


def test_a_failed_log_verification_raises_one_incident(
    sgm, django_capture_on_commit_callbacks
) -> None:
    from mamori.auditlog import services
    from mamori.auditlog.models import Entry
    from mamori.auditlog.runs import verify_and_record
    from tests.auditlog.test_auditlog_signer import grow, tamper

    give(make_user("ciso-ono"), "ciso")
    grow(45)
    services.issue_checkpoint()
    assert Entry.objects.filter(actor="system:test").count() == 45
    tamper("UPDATE auditlog_entry SET actor = 'user:nobody' WHERE position = 12")
    with django_capture_on_commit_callbacks(execute=True):
        run = verify_and_record()
    assert not run.ok
    incident = Incident.objects.get()
    assert incident.kind == "cyber_attack" and incident.source == "auditlog"
    assert incident.commander.username == "ciso-ono"
    link = incident.links.get()
    assert (link.object_type, link.object_key) == ("auditlog.verification", str(run.pk))
    redeliver("mamori.auditlog.verification_failed")
    assert Incident.objects.count() == 1


def test_a_new_spread_violation_raises_one_incident_linked_to_the_wallet(
    sgm, django_capture_on_commit_callbacks
) -> None:
    from mamori.scheduler.jobs import get_job
    from tests.keys.helpers import hot_wallet, key

    inv = hot_wallet()
    key(inv, "hot-b", "operating", "yamamoto", "tokyo-dc")  # imported past the entry check
    with django_capture_on_commit_callbacks(execute=True):
        get_job("keys.daily_check").func()
        get_job("keys.daily_check").func()  # the same violation: no new incident
    incident = Incident.objects.get()
    assert incident.source == "keys" and incident.kind == "other"
    types = {(link.object_type, link.object_key) for link in incident.links.all()}
    assert ("keys.wallet", str(inv.wallet.pk)) in types
    assert any(t == "keys.finding" for t, _k in types)
    redeliver("mamori.keys.spread_violated")
    assert Incident.objects.count() == 1


def test_a_consumer_that_fails_does_not_fail_the_event_s_transaction(sgm) -> None:
    event = bus.Event("mamori.reconciliation.case_opened", "e-bad", {"case": "x"}, timezone.now())
    for subject, consumer, handler in sources.consumers():
        if subject == event.subject:
            handler(event)  # logged, not raised
    assert not Incident.objects.exists()
