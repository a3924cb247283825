"""Approvals and roles as people and services reach them: pages and API."""

from __future__ import annotations

import pydantic
import pytest
from django.test import Client
from django.utils import timezone

from mamori.accounts.models import ApprovalRequest, Department, Role, RoleAssignment
from mamori.accounts.services import tokens
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def officers():
    custody = Department.objects.create(code="custody", name_ja="カストディ部", name_en="Custody")
    ann, bob, req = make_user("ann"), make_user("bob"), make_user("req")
    RoleAssignment.objects.create(user=ann, role=Role.objects.get(code="ciso"))
    RoleAssignment.objects.create(user=bob, role=Role.objects.get(code="system_general_manager"))
    RoleAssignment.objects.create(user=req, role=Role.objects.get(code="ciso"))
    return {"ann": ann, "bob": bob, "req": req, "custody": custody}


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    sign_in(client, user)
    return client


def test_a_key_holder_grant_goes_through_two_approvals_in_the_ui(officers) -> None:
    kai = make_user("kai")
    requester = signed_in(officers["req"])
    response = requester.post(
        "/accounts/roles/",
        {
            "user": kai.pk,
            "role": Role.objects.get(code="key_holder").pk,
            "department": officers["custody"].pk,
        },
    )
    request = ApprovalRequest.objects.get()
    assert response["Location"] == f"/accounts/approvals/{request.pk}/"
    own = requester.get(f"/accounts/approvals/{request.pk}/").content.decode()
    assert "requester cannot decide their own request" in own

    ann = signed_in(officers["ann"])
    assert str(request.pk) in ann.get("/accounts/approvals/").content.decode()
    page = ann.get(f"/accounts/approvals/{request.pk}/").content.decode()
    assert request.snapshot_sha256 in page and "&quot;key_holder&quot;" in page
    ann.post(f"/accounts/approvals/{request.pk}/", {"verdict": "approve", "reason": "vetted"})
    again = ann.post(
        f"/accounts/approvals/{request.pk}/", {"verdict": "approve", "reason": "twice"}, follow=True
    )
    assert "already decided" in again.content.decode()
    bob = signed_in(officers["bob"])
    bob.post(f"/accounts/approvals/{request.pk}/", {"verdict": "approve", "reason": "ok"})
    assert RoleAssignment.objects.filter(user=kai, role__code="key_holder").exists()
    history = bob.get("/accounts/approvals/history/?status=approved").content.decode()
    assert "Grant the role Key holder to kai" in history


def test_a_segregation_breach_is_refused_in_the_ui_naming_the_rule(officers) -> None:
    dev = make_user("dev")
    systems = Department.objects.create(code="systems", name_ja="システム部", name_en="Systems")
    RoleAssignment.objects.create(
        user=dev, role=Role.objects.get(code="developer"), department=systems
    )
    ann = signed_in(officers["ann"])
    response = ann.post(
        "/accounts/roles/",
        {"user": dev.pk, "role": Role.objects.get(code="operator").pk, "department": systems.pk},
    )
    assert response.status_code == 400
    assert "sod-dev-ops" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=dev, role__code="operator").exists()


def test_people_without_the_permission_cannot_grant_roles(officers) -> None:
    plain = signed_in(make_user("plain"))
    response = plain.post(
        "/accounts/roles/",
        {"user": officers["ann"].pk, "role": Role.objects.get(code="operator").pk},
    )
    assert response.status_code == 403
    assert plain.get("/accounts/segregation/").status_code == 403


def test_segregation_report_page_lists_conflicts(officers) -> None:
    response = signed_in(officers["ann"]).get("/accounts/segregation/")
    assert response.status_code == 200
    assert "sod-dev-ops" in response.content.decode()


def test_access_review_is_confirmed_by_the_reviewer_only(officers) -> None:
    officers["req"].manager = officers["ann"]
    officers["req"].save()
    ann = signed_in(officers["ann"])
    ann.post("/accounts/access-reviews/open/")
    page = ann.get("/accounts/access-reviews/").content.decode()
    assert "req" in page
    from mamori.accounts.models import AccessReviewItem

    item = AccessReviewItem.objects.get(person=officers["req"])
    other = signed_in(officers["bob"])
    assert (
        other.post(
            f"/accounts/access-reviews/items/{item.pk}/", {"outcome": "confirmed"}
        ).status_code
        == 403
    )
    ann.post(f"/accounts/access-reviews/items/{item.pk}/", {"outcome": "confirmed"})
    item.refresh_from_db()
    assert item.outcome == "confirmed"


def test_services_submit_and_read_requests_but_cannot_decide(officers) -> None:
    secret = tokens.issue("gateway", ["approvals:submit", "approvals:read"], 30, None).secret
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    client = Client()
    from mamori.accounts.services import approvals

    approvals.register_kind(
        "test.withdrawal",
        policy="halt_lift",
        apply=lambda request: None,
        schema=WithdrawalSnapshot,
        submittable=True,
    )
    created = client.post(
        "/api/approvals/requests",
        {
            "kind": "test.withdrawal",
            "title": "Release 5 BTC",
            "snapshot": {"amount": "500000000", "asset": "BTC"},
        },
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "pending" and len(body["snapshot_sha256"]) == 64
    assert body["policy"] == "halt_lift"
    decided = client.post(
        f"/api/approvals/requests/{body['id']}/decisions",
        {"verdict": "approve", "reason": "machine"},
        content_type="application/json",
        **headers,
    )
    assert decided.status_code == 401
    listed = client.get("/api/approvals/requests?status=pending", **headers).json()
    assert listed["count"] == 1


class WithdrawalSnapshot(pydantic.BaseModel):
    """The snapshot of the test kind a service may submit."""

    amount: str
    asset: str


def test_a_person_decides_through_the_api_with_the_same_rules(officers) -> None:
    from mamori.accounts.services import approvals

    approvals.register_kind("test.thing", policy="halt_lift", apply=lambda request: None)
    request = approvals.submit("test.thing", "t", {"a": 1}, officers["req"])
    req = signed_in(officers["req"])
    csrf = req.get("/accounts/approvals/").cookies.get("mamori_csrftoken")
    response = req.post(
        f"/api/approvals/requests/{request.pk}/decisions",
        {"verdict": "approve", "reason": "mine"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf.value if csrf else "",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "self_approval"


def test_an_access_review_is_complete_once_every_item_is_decided(officers) -> None:
    """ACC-08 (ISM 23-1-1, 31-3) measures completed reviews: deciding the last item completes
    the review (before, nothing but the demo ever closed one)."""
    from mamori.accounts.compliance import access_review_recent
    from mamori.accounts.models import AccessReview, AccessReviewItem
    from mamori.accounts.services import roles

    review = roles.open_access_review()
    items = list(AccessReviewItem.objects.filter(review=review).select_related("reviewer"))
    assert all(item.reviewer is not None for item in items)
    assert not access_review_recent(365).passed
    for item in items[:-1]:
        roles.decide_review_item(item, "confirmed", "")
    assert AccessReview.objects.get(pk=review.pk).closed_at is None
    last = items[-1]
    page = signed_in(last.reviewer).post(
        f"/accounts/access-reviews/items/{last.pk}/", {"outcome": "confirmed"}, follow=True
    )
    assert "the access review is complete" in page.content.decode()
    closed = AccessReview.objects.get(pk=review.pk).closed_at
    assert closed is not None  # the reviews list shows the day it was completed, last
    assert f">{timezone.localtime(closed):%Y-%m-%d}</td></tr>" in page.content.decode()
    assert access_review_recent(365).passed
