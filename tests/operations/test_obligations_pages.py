"""Pages and API of reporting obligations (SRM 6-1-3, 7-3; ISM 8-1-3, 9-3): the overview with
countdowns, the incident's reports, marking one sent (refused without its sender), the rules
edited by incidents.manage only, the exports, the dashboard card and the demo step."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from mamori.operations.demo_obligations import demo_obligations
from mamori.operations.models import Incident, Obligation, ObligationRule
from mamori.operations.services import incidents, obligations
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def drain() -> Incident:
    sgm = give(make_user("takahashi"), "system_general_manager", "ciso")
    incident = incidents.report(
        "BTCホットウォレットからの流出 / BTC drained from the hot wallet",
        "hot wallet",
        sgm,
        kind=Incident.Kind.CRYPTO_ASSET_LEAK,
        detected_at=timezone.now() - timedelta(days=1),
        facts={"assets_at_risk_jpy": 300_000_000},
    )
    obligations.evaluate(incident)
    return incident


def test_the_pages_show_the_countdowns_and_mark_a_report_sent(drain: Incident) -> None:
    sgm = drain.commander
    client = client_for(sgm)  # type: ignore[arg-type]
    overview = client.get("/operations/obligations/", HTTP_ACCEPT_LANGUAGE="en")
    assert overview.status_code == 200
    assert (
        drain.reference in overview.content.decode() and "overdue by" in overview.content.decode()
    )
    page = client.get(f"/operations/incidents/{drain.pk}/obligations/", HTTP_ACCEPT_LANGUAGE="ja")
    assert page.status_code == 200 and "報告義務" in page.content.decode()
    first = drain.obligations.get(rule__code="authority-first")
    refused = client.post(f"/operations/obligations/{first.pk}/sent/", {"channel": "FSA"})
    assert refused.status_code == 302
    first.refresh_from_db()
    assert first.status == Obligation.Status.DUE
    sent_at = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        f"/operations/obligations/{first.pk}/sent/",
        {"sent_by": sgm.pk, "sent_at": sent_at, "channel": "FSA", "reference": "R-1"},  # type: ignore[union-attr]
    )
    first.refresh_from_db()
    assert first.status == Obligation.Status.SENT and first.sent_by == sgm
    pdf = client.get(f"/operations/obligations/{first.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/operations/obligations/{first.pk}/report.txt").status_code == 404
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from mamori.operations.registrations_obligations import _widget

    request = RequestFactory().get("/")
    request.user = sgm
    data = _widget(request)
    assert data is not None and data["next"].due_at <= data["now"] and data["overdue"] >= 1
    card = render_to_string("operations/obligations_widget.html", {"data": data})
    assert "reports-due-next" in card and drain.reference in card


def test_the_api_lists_open_reports_and_refuses_sent_without_a_sender(drain: Incident) -> None:
    client = client_for(drain.commander)  # type: ignore[arg-type]
    listed = client.get("/api/operations/obligations").json()
    assert listed and listed[0]["seconds_left"] <= listed[-1]["seconds_left"]
    target = listed[-1]["id"]
    refused = client.post(
        f"/api/operations/obligations/{target}/sent", {}, content_type="application/json"
    )
    assert refused.status_code == 422 and refused.json()["code"] == "sender_required"
    done = client.post(
        f"/api/operations/obligations/{target}/sent",
        {"sent_by": "takahashi", "channel": "mail"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["sent_by"] == "takahashi"
    auditor = client_for(give(make_user("auditor-obl"), "internal_auditor"))
    assert auditor.get("/api/operations/obligations").status_code == 200
    denied = auditor.post(
        f"/api/operations/obligations/{listed[0]['id']}/sent",
        {"sent_by": "takahashi"},
        content_type="application/json",
    )
    assert denied.status_code == 403


def test_rules_are_edited_by_incidents_manage_only(drain: Incident) -> None:
    auditor = client_for(give(make_user("auditor-rules"), "internal_auditor"))
    assert auditor.get("/operations/obligations/rules/").status_code == 200
    rule = ObligationRule.objects.get(code="authority-first")
    assert auditor.get(f"/operations/obligations/rules/{rule.pk}/").status_code == 403
    manager = client_for(drain.commander)  # type: ignore[arg-type]
    form = manager.get(f"/operations/obligations/rules/{rule.pk}/")
    assert form.status_code == 200
    data = {
        "code": rule.code,
        "name": rule.name,
        "min_severity": "S2",
        "unauthorised_access": "any",
        "recipient": "authority",
        "stage": "first",
        "due_unit": "business_days",
        "due_amount": 1,
        "active": "on",
        "basis": rule.basis,
    }
    assert manager.post(f"/operations/obligations/rules/{rule.pk}/", data).status_code == 302
    rule.refresh_from_db()
    assert rule.due_unit == "business_days"
    assert obligations.evaluate(drain)["rescheduled"] == 1


def test_the_demo_sends_the_first_report_and_leaves_the_final_due(drain: Incident) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        demo_obligations(drain)
        demo_obligations(drain)
    first = drain.obligations.get(rule__code="authority-first")
    assert first.status == Obligation.Status.SENT and first.sent_by.username == "takahashi"  # type: ignore[union-attr]
    final = drain.obligations.get(rule__code="authority-final")
    assert final.status == Obligation.Status.DUE and final.due_at > timezone.now()


def test_the_pages_read_in_one_language(drain: Incident) -> None:
    from tests.core.test_languages import (
        JAPANESE,
        _english_in,
        _html,
        _japanese_data,
        _texts,
    )

    client = client_for(drain.commander)  # type: ignore[arg-type]
    first = drain.obligations.get(rule__code="authority-first")
    rule = ObligationRule.objects.get(code="ppc-preliminary")
    paths = [
        "/operations/obligations/",
        f"/operations/incidents/{drain.pk}/obligations/",
        "/operations/obligations/rules/",
        f"/operations/obligations/rules/{rule.pk}/",
        "/operations/obligations/rules/new/",
        f"/operations/obligations/{first.pk}/report/",
    ]
    # the kinds' names belong to the incident core, whose Japanese comes with the incident pages
    core = {label.lower() for label in Incident.Kind.labels}
    english = [
        found
        for path in paths
        for found in _english_in(client, path)
        if not set(found.split("«")[1].rstrip("»").split(", ")) <= core
    ]
    assert english == []
    data = _japanese_data()
    japanese = []
    for path in paths:
        for text in _texts(_html(client, path, "en")):
            for value in data:
                text = text.replace(value, "")
            if JAPANESE.search(text) and " / " not in text:
                japanese.append(f"{path}: {text}")
    assert japanese == []
