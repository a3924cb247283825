"""Policy summaries are published only through approval and then served to anyone."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from mamori.accounts.services import approvals, tokens
from mamori.rulebook.models import PolicyDocument, PolicyVersion
from mamori.rulebook.services import policies
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

BODY = {
    key: {"ja": f"{key}の本文", "en": f"{key} text"}
    for key in ("objectives", "actions", "reasons", "scope", "outsourcing", "responsible")
}


def draft(people) -> PolicyVersion:
    document = PolicyDocument.objects.get(code="information-security")
    return policies.save_draft(document, BODY, people["ciso"])


def approve(request_id: int, *approvers) -> None:
    for person in approvers:
        approvals.decide(request_id, person, "approve", "reviewed")


def test_a_draft_is_published_after_two_officers_approve_and_supersedes_the_last(people) -> None:
    first = draft(people)
    request = policies.submit_for_publication(first, people["ciso"])
    assert policies.published("information-security") is None
    approve(request.pk, people["sgm"])
    assert policies.published("information-security") is None  # one approval is not enough
    approve(request.pk, people["board"])
    assert policies.published("information-security") == first
    second = draft(people)
    approve(
        policies.submit_for_publication(second, people["ciso"]).pk, people["sgm"], people["board"]
    )
    first.refresh_from_db()
    assert first.status == "superseded"
    assert policies.published("information-security") == second
    assert policies.published("information-security", 1) == first


def test_the_requester_cannot_approve_their_own_publication(people) -> None:
    request = policies.submit_for_publication(draft(people), people["ciso"])
    with pytest.raises(approvals.ApprovalRefused):
        approve(request.pk, people["ciso"])


def test_a_rejected_publication_leaves_nothing_public(
    people, django_capture_on_commit_callbacks
) -> None:
    version = draft(people)
    request = policies.submit_for_publication(version, people["ciso"])
    with django_capture_on_commit_callbacks(execute=True):
        approvals.decide(request.pk, people["sgm"], "reject", "section 4 is too vague")
    version.refresh_from_db()
    assert version.status == "rejected"
    assert policies.published("information-security") is None


def test_the_database_refuses_a_published_version_without_approval(people) -> None:
    version = draft(people)
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyVersion.objects.filter(pk=version.pk).update(
            status="published", published_at=timezone.now()
        )


def test_every_section_needs_both_languages(people) -> None:
    document = PolicyDocument.objects.get(code="information-security")
    body = dict(BODY, scope={"ja": "範囲", "en": ""})
    with pytest.raises(policies.PolicyRefused, match=": scope"):
        policies.save_draft(document, body, people["ciso"])


def test_the_public_page_needs_no_sign_in_and_speaks_both_languages(people) -> None:
    version = draft(people)
    approve(
        policies.submit_for_publication(version, people["ciso"]).pk, people["sgm"], people["board"]
    )
    anonymous = Client()
    ja = anonymous.get("/public/policies/information-security/")
    assert ja.status_code == 200 and "objectivesの本文" in ja.content.decode()
    assert ja["Content-Language"] == "ja"
    en = anonymous.get("/public/policies/information-security/?lang=en")
    assert "objectives text" in en.content.decode() and en["Content-Language"] == "en"
    assert anonymous.get("/public/policies/system-risk/").status_code == 404
    assert anonymous.get("/public/policies/information-security/v/9/").status_code == 404


def test_a_draft_is_not_public(people) -> None:
    draft(people)
    assert Client().get("/public/policies/information-security/v/1/").status_code == 404


def test_the_api_drafts_and_submits_but_cannot_publish(people) -> None:
    issued = tokens.issue("cms", ["rulebook:write", "rulebook:read"], 30, people["ciso"])
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    created = api.post(
        "/api/rulebook/policies/information-security/versions",
        {"body": BODY},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "draft"
    for method in ("put", "patch"):
        attempt = getattr(api, method)(
            "/api/rulebook/policies/information-security/versions/1",
            {"status": "published"},
            content_type="application/json",
        )
        assert attempt.status_code in (404, 405)
    submitted = api.post("/api/rulebook/policies/information-security/versions/1/submit")
    assert submitted.status_code == 202 and submitted.json()["status"] == "pending"
    assert policies.published("information-security") is None
    bad = api.post(
        "/api/rulebook/policies/information-security/versions",
        {"body": {"objectives": {"ja": "x", "en": ""}}},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["code"] == "section_missing"


def test_the_policy_pages_edit_and_submit(people) -> None:
    client = client_for(people["ciso"])
    form = {f"{k}_{lang}": f"{k} {lang}" for k in BODY for lang in ("ja", "en")}
    response = client.post("/rulebook/policies/information-security/edit/", form)
    assert response.status_code == 302 and response["Location"].endswith("/v/1/")
    response = client.post("/rulebook/policies/information-security/v/1/submit/", follow=True)
    assert "policy-status" in response.content.decode()
    assert PolicyVersion.objects.get(number=1).status == "pending"
    outsider = client_for(people["nobody"])
    assert outsider.get("/rulebook/policies/").status_code == 403
