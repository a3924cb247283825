"""Reviewed evidence: pending until the control's owner accepts it, for what the owner
confirms, and only until its review is due."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from mamori.accounts.services import tokens
from mamori.auditlog.models import Entry
from mamori.rulebook.models import Control, Evidence, Requirement
from mamori.rulebook.services.controls import states
from mamori.rulebook.services.evidence import (
    EvidenceRefused,
    accept_evidence,
    reject_evidence,
    store_evidence,
)
from mamori.rulebook.services.status import compute, known_by
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n% pentest\n"
P = "urn:mamori:jvcea:"


def pentest() -> Control:
    """DOC-CYB-03, owned by the CISO; it serves SRM 10-3, 10-4 and the three of ISM 32."""
    return Control.objects.get(code="DOC-CYB-03")


def upload(person, **kwargs) -> Evidence:
    return store_evidence(pentest(), io.BytesIO(PDF), "p.pdf", "Pentest 2026", person, **kwargs)


def test_an_upload_counts_for_nothing_until_the_owner_accepts_it(people) -> None:
    item = upload(people["sgm"])
    assert item.review == "pending"
    assert "awaits its owner's review" in states()[pentest().pk].reason_en
    assert compute().of(P + "ism:art32:p1").value == "non_compliant"
    accept_evidence(item, people["ciso"], "report read", item.claimed.all())
    status = compute().of(P + "ism:art32:p1")
    assert status.value == "compliant" and known_by(status) == "document_only"


def test_one_file_shows_only_the_requirements_its_reviewer_confirmed(people) -> None:
    item = upload(people["sgm"])
    assert set(item.claimed.all()) == set(pentest().requirements.all())  # all by default
    accept_evidence(
        item,
        people["ciso"],
        "covers ISM 32-1 only",
        [Requirement.objects.get(urn=P + "ism:art32:p1")],
    )
    compliance = compute()
    assert compliance.of(P + "ism:art32:p1").value == "compliant"
    other = compliance.of(P + "srm:art10:p3")
    assert other.value == "non_compliant"
    assert any("no reviewed evidence was confirmed to show" in en for _, en in other.reasons)


def test_the_uploader_or_someone_without_the_owner_role_may_not_review(people) -> None:
    mine = upload(people["ciso"])
    with pytest.raises(EvidenceRefused) as own:
        accept_evidence(mine, people["ciso"], "fine", mine.claimed.all())
    assert own.value.code == "own_upload"
    with pytest.raises(EvidenceRefused) as stranger:
        accept_evidence(mine, people["sgm"], "fine", mine.claimed.all())
    assert stranger.value.code == "not_owner"
    other_ciso = give(make_user("ciso-two"), "ciso")
    with pytest.raises(EvidenceRefused) as silent:
        reject_evidence(mine, other_ciso, "  ")
    assert silent.value.code == "note_required"
    assert Evidence.objects.get().review == "pending"


def test_rejected_evidence_never_counts_and_keeps_the_reason(people) -> None:
    item = upload(people["sgm"])
    reject_evidence(item, people["ciso"], "the report is from 2019")
    item.refresh_from_db()
    assert (item.review, item.review_note, item.reviewed_by) == (
        "rejected",
        "the report is from 2019",
        people["ciso"],
    )
    assert not states()[pentest().pk].ok
    with pytest.raises(EvidenceRefused) as again:
        accept_evidence(item, people["ciso"], "changed my mind", item.claimed.all())
    assert again.value.code == "not_pending"


def test_validity_is_capped_by_the_review_period_and_then_the_control_is_due(people) -> None:
    today = timezone.localdate()
    item = upload(people["sgm"], valid_until=today + timedelta(days=1000))
    assert item.valid_until == today + timedelta(days=pentest().review_days)  # 180
    accept_evidence(item, people["ciso"], "ok", item.claimed.all())
    assert states()[pentest().pk].ok
    with time_machine.travel(timezone.now() + timedelta(days=200)):
        state = states()[pentest().pk]
        assert not state.ok and "review due" in state.reason_en


def test_evidence_carries_its_period_and_refuses_a_requirement_the_control_does_not_serve(
    people,
) -> None:
    start, end = timezone.localdate() - timedelta(days=90), timezone.localdate()
    item = upload(people["sgm"], period=(start, end))
    assert (item.period_start, item.period_end) == (start, end)
    with pytest.raises(EvidenceRefused) as foreign:
        upload(people["sgm"], requirements=[Requirement.objects.get(urn=P + "ism:art34:p1")])
    assert foreign.value.code == "requirement_not_served"


def test_evidence_of_a_period_long_past_is_refused_and_a_recent_one_expires_with_it(
    people,
) -> None:
    """A 2018–2019 report accepted today must not count until 2027 (review finding): what a
    document shows is current for one review period after the period it covers."""
    today = timezone.localdate()
    with pytest.raises(EvidenceRefused) as old:
        upload(people["sgm"], period=(today - timedelta(days=800), today - timedelta(days=400)))
    assert old.value.code == "period_too_old"
    ended = today - timedelta(days=100)
    item = upload(people["sgm"], period=(today - timedelta(days=130), ended))
    assert item.valid_until == ended + timedelta(days=pentest().review_days)


def test_the_owner_accepts_on_the_control_page_and_the_acceptance_is_audited(people) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    ism32 = Requirement.objects.get(urn=P + "ism:art32:p1")
    uploader = client_for(people["sgm"])
    uploader.post(
        "/rulebook/controls/DOC-CYB-03/evidence/",
        {
            "title": "Pentest",
            "file": SimpleUploadedFile("pentest.pdf", PDF),
            "requirements": [ism32.pk],
            "period_start": "2026-01-01",
            "period_end": "2026-06-30",
        },
    )
    item = Evidence.objects.get()
    assert [r.urn for r in item.claimed.all()] == [ism32.urn]
    uploader_page = uploader.get("/rulebook/controls/DOC-CYB-03/")
    assert f"/rulebook/evidence/{item.pk}/accept/" not in uploader_page.content.decode()
    owner = client_for(people["ciso"])
    page = owner.get("/rulebook/controls/DOC-CYB-03/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "awaiting review" in page and f"/rulebook/evidence/{item.pk}/accept/" in page
    owner.post(
        f"/rulebook/evidence/{item.pk}/accept/",
        {f"e{item.pk}-comment": "read and matched", f"e{item.pk}-requirements": [ism32.pk]},
    )
    item.refresh_from_db()
    assert item.review == "accepted" and item.review_note == "read and matched"
    assert compute().of(ism32.urn).value == "compliant"
    assert (
        Entry.objects.filter(object_type="rulebook.evidence", object_id=str(item.pk)).count() >= 2
    )


def test_the_api_reviews_evidence_and_refuses_the_uploader(people) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    def bearer(person) -> dict[str, str]:
        issued = tokens.issue(f"ci-{person.username}", ["rulebook:write"], 30, person)
        return {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}

    api = client_for(people["nobody"])
    uploaded = api.post(
        "/api/rulebook/controls/DOC-CYB-03/evidence",
        {"file": SimpleUploadedFile("p.pdf", PDF), "requirements": P + "ism:art32:p1"},
        **bearer(people["ciso"]),
    )
    assert uploaded.status_code == 201, uploaded.content
    body = uploaded.json()
    assert body["review"] == "pending" and body["claimed"] == [P + "ism:art32:p1"]
    path = f"/api/rulebook/evidence/{body['id']}/accept"
    decision = {"comment": "ok", "requirements": [P + "ism:art32:p1"]}
    own = api.post(path, decision, content_type="application/json", **bearer(people["ciso"]))
    assert own.status_code == 403 and own.json()["code"] == "own_upload"
    other_ciso = give(make_user("ciso-two"), "ciso")
    done = api.post(path, decision, content_type="application/json", **bearer(other_ciso))
    assert done.status_code == 200, done.content
    assert done.json()["review"] == "accepted"
    assert done.json()["confirmed"] == [P + "ism:art32:p1"]
