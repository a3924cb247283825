"""The compliance dashboard drills down from rule to evidence, in Japanese and English."""

from __future__ import annotations

import io

import pytest

from mamori.accounts.services import approvals
from mamori.rulebook.models import Control, Requirement, StatusDecision
from mamori.rulebook.services.controls import run_control
from mamori.rulebook.services.evidence import store_evidence
from mamori.rulebook.services.status import compute
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_dashboard_shows_both_rules_by_chapter_in_both_languages(people) -> None:
    client = client_for(people["ciso"])
    page = client.get("/rulebook/").content.decode()
    assert "情報の安全管理に関する規則" in page and "仮想通貨管理" in page
    assert 'id="attention"' in page
    client.post("/accounts/language/", {"language": "en", "next": "/rulebook/"})
    english = client.get("/rulebook/").content.decode()
    assert "Rules on the Safe Management of Information" in english
    assert "Virtual-currency management" in english


def test_drill_down_reaches_controls_evidence_and_the_audit_log(people) -> None:
    control = Control.objects.get(code="DOC-CUS-07")
    store_evidence(control, io.BytesIO(b"%PDF-1.4 rec"), "recon.pdf", "Recon", people["ciso"])
    client = client_for(people["ciso"])
    article = client.get("/rulebook/node/urn:mamori:jvcea:ism:art34/").content.decode()
    assert "urn:mamori:jvcea:ism:art34:p1" in article
    paragraph = client.get("/rulebook/node/urn:mamori:jvcea:ism:art34:p1/").content.decode()
    assert "少なくとも 1 日に 1 回" in paragraph  # verbatim Japanese
    assert "At least once a day" in paragraph  # English beside it
    assert "DOC-CUS-07" in paragraph and "/rulebook/controls/DOC-CUS-07/#audit-entries" in paragraph
    detail = client.get("/rulebook/controls/DOC-CUS-07/").content.decode()
    assert "recon.pdf" in detail
    assert "rulebook.evidence:" in detail.split('id="audit-entries"')[1]  # its audit entries


def test_guideline_notes_and_cross_references_are_shown(people) -> None:
    client = client_for(people["ciso"])
    page = client.get("/rulebook/node/urn:mamori:jvcea:ism:art5:p1/").content.decode()
    assert "ウェブサイトに掲載する方法" in page  # guideline note
    assert "SRM 4-4" in page  # cross-reference
    assert "GV.PO-01" in page  # NIST CSF mapping


def test_not_applicable_takes_effect_only_after_two_approvals(people) -> None:
    urn = "urn:mamori:jvcea:srm:art23:p1"
    client = client_for(people["ciso"])
    refused = client.post(f"/rulebook/node/{urn}/decision/", {"status": "not_applicable"})
    assert refused.status_code == 302 and not StatusDecision.objects.exists()
    client.post(
        f"/rulebook/node/{urn}/decision/",
        {"status": "not_applicable", "justification": "no system integration is planned"},
    )
    decision = StatusDecision.objects.get()
    assert compute().of(urn).value == "non_compliant"
    approvals.decide(decision.approval_id, people["sgm"], "approve", "agreed")
    approvals.decide(decision.approval_id, people["auditor"], "approve", "agreed")
    status = compute().of(urn)
    assert status.value == "not_applicable" and status.overridden
    page = client.get(f"/rulebook/node/{urn}/").content.decode()
    assert "no system integration is planned" in page


def test_a_requirement_status_follows_its_controls(people) -> None:
    urn = "urn:mamori:jvcea:srm:art5:p1"  # ACC-03 (workflow) and DOC-GOV-01/04 (documents)
    assert compute().of(urn).value == "non_compliant"
    run_control(Control.objects.get(code="ACC-03"))
    assert compute().of(urn).value == "partial"
    reasons = [en for _, en in compute().of(urn).reasons]
    assert any("no evidence uploaded" in r for r in reasons)


def test_people_without_the_permission_see_nothing(people) -> None:
    client = client_for(people["nobody"])
    assert client.get("/rulebook/").status_code == 403
    assert client.get("/rulebook/export/statement.xlsx").status_code == 403
    dashboard = client.get("/").content.decode()
    assert "/rulebook/" not in dashboard


def test_the_dashboard_widget_shows_counts(people) -> None:
    page = client_for(people["ciso"]).get("/").content.decode()
    assert "/rulebook/#rule-ism" in page


def test_api_lists_requirements_with_status_and_reasons(people) -> None:
    from mamori.accounts.services import tokens

    issued = tokens.issue("grc", ["rulebook:read"], 30, people["ciso"])
    api = client_for(people["nobody"])
    rows = api.get(
        "/api/rulebook/requirements?rule=ism&status=non_compliant",
        HTTP_AUTHORIZATION=f"Bearer {issued.secret}",
    ).json()
    assert rows and all(r["status"] == "non_compliant" for r in rows)
    assert all(r["reasons"] for r in rows)
    assert Requirement.objects.filter(urn=rows[0]["urn"]).exists()
    denied = api.get("/api/rulebook/requirements")  # a session without the permission
    assert denied.status_code == 403
