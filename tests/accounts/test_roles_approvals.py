"""Roles with segregation of duties and N-of-M approvals, through the services people use."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from mamori.accounts.models import (
    ApprovalPolicy,
    ApprovalRequest,
    Department,
    Role,
    RoleAssignment,
    SegregationRule,
    User,
)
from mamori.accounts.services import approvals, roles
from mamori.accounts.services.approvals import ApprovalRefused
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def org() -> dict[str, object]:
    systems = Department.objects.create(code="systems", name_ja="システム部", name_en="Systems")
    custody = Department.objects.create(code="custody", name_ja="カストディ部", name_en="Custody")
    people = {name: make_user(name) for name in ("ann", "bob", "cat", "dan", "eve", "req")}
    for name in ("ann", "bob"):
        RoleAssignment.objects.create(user=people[name], role=Role.objects.get(code="ciso"))
    RoleAssignment.objects.create(
        user=people["cat"], role=Role.objects.get(code="system_general_manager")
    )
    for name in ("dan", "eve"):
        RoleAssignment.objects.create(user=people[name], role=Role.objects.get(code="board_member"))
    return {"systems": systems, "custody": custody, **people}


def role(code: str) -> Role:
    return Role.objects.get(code=code)


def test_developer_cannot_also_be_operator_of_the_same_department(org) -> None:
    ann = make_user("zed")
    roles.assign(ann, role("developer"), org["systems"], None)
    with pytest.raises(roles.SegregationRefused, match="sod-dev-ops"):
        roles.assign(ann, role("operator"), org["systems"], None)
    assert not RoleAssignment.objects.filter(user=ann, role__code="operator").exists()
    roles.assign(ann, role("operator"), org["custody"], None)  # another department is fine


def test_ciso_may_also_be_system_general_manager(org) -> None:
    holder = org["cat"]
    RoleAssignment.objects.create(user=holder, role=role("ciso"))
    roles.segregation_check(holder, role("ciso"), None)  # ISM 8-2, 9-4 allow it


def test_conflict_report_finds_holdings_a_new_rule_forbids(org) -> None:
    person = make_user("yui")
    roles.assign(person, role("custody_operator"), org["custody"], None)
    roles.assign(person, role("operator"), org["custody"], None)
    assert roles.conflicts() == []
    SegregationRule.objects.create(
        code="sod-test",
        name_ja="テスト",
        name_en="Test",
        kind="exclusive_roles",
        role_a=role("custody_operator"),
        role_b=role("operator"),
    )
    found = roles.conflicts()
    assert [b.rule.code for b in found] == ["sod-test"]
    assert "yui" in found[0].explain()


def test_a_key_holder_grant_waits_for_two_officers_and_uses_the_snapshot(org) -> None:
    person = make_user("kai")
    request = roles.assign(person, role("key_holder"), org["custody"], org["req"])
    assert isinstance(request, ApprovalRequest)
    assert not RoleAssignment.objects.filter(user=person, role__code="key_holder").exists()
    approvals.decide(request.pk, org["ann"], "approve", "checked the vetting record")
    assert not RoleAssignment.objects.filter(user=person, role__code="key_holder").exists()
    done = approvals.decide(request.pk, org["cat"], "approve", "agreed")
    assert done.status == "approved"
    granted = RoleAssignment.objects.get(user=person, role__code="key_holder")
    assert granted.department == org["custody"]


def test_the_requester_never_approves_their_own_request(org) -> None:
    request = roles.assign(make_user("kai"), role("key_holder"), org["custody"], org["ann"])
    with pytest.raises(ApprovalRefused) as refused:
        approvals.decide(request.pk, org["ann"], "approve", "mine")
    assert refused.value.code == "self_approval"
    assert not request.decisions.exists()


def test_one_person_counts_once_even_with_several_roles(org) -> None:
    RoleAssignment.objects.create(user=org["ann"], role=role("system_general_manager"))
    request = roles.assign(make_user("kai"), role("key_holder"), org["custody"], org["req"])
    approvals.decide(request.pk, org["ann"], "approve", "ok")
    with pytest.raises(ApprovalRefused) as refused:
        approvals.decide(request.pk, org["ann"], "approve", "ok again")
    assert refused.value.code == "already_decided"
    request.refresh_from_db()
    assert request.status == "pending"


def test_someone_without_the_role_cannot_decide(org) -> None:
    request = roles.assign(make_user("kai"), role("key_holder"), org["custody"], org["req"])
    with pytest.raises(ApprovalRefused) as refused:
        approvals.decide(request.pk, org["dan"], "approve", "board member, not an officer")
    assert refused.value.code == "role_missing"


def test_a_rejected_request_cannot_be_revived(org) -> None:
    person = make_user("kai")
    request = roles.assign(person, role("key_holder"), org["custody"], org["req"])
    approvals.decide(request.pk, org["ann"], "reject", "not vetted")
    with pytest.raises(ApprovalRefused) as refused:
        approvals.decide(request.pk, org["bob"], "approve", "overrule")
    assert refused.value.code == "closed"
    assert not RoleAssignment.objects.filter(user=person, role__code="key_holder").exists()


def test_an_expired_request_cannot_be_approved(org) -> None:
    request = roles.assign(make_user("kai"), role("key_holder"), org["custody"], org["req"])
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        with pytest.raises(ApprovalRefused) as refused:
            approvals.decide(request.pk, org["ann"], "approve", "late")
        assert refused.value.code == "closed"
    request.refresh_from_db()
    assert request.status == "expired"


def test_expire_due_closes_overdue_requests(org) -> None:
    request = roles.assign(make_user("kai"), role("key_holder"), org["custody"], org["req"])
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert approvals.expire_due() == 1
    request.refresh_from_db()
    assert request.status == "expired"


def test_a_decision_needs_a_reason(org) -> None:
    request = roles.assign(make_user("kai"), role("key_holder"), org["custody"], org["req"])
    with pytest.raises(ApprovalRefused) as refused:
        approvals.decide(request.pk, org["ann"], "approve", "   ")
    assert refused.value.code == "reason_missing"


def test_verify_refuses_anything_but_the_approved_snapshot(org) -> None:
    request = roles.assign(make_user("kai"), role("key_holder"), org["custody"], org["req"])
    approvals.decide(request.pk, org["ann"], "approve", "ok")
    approvals.decide(request.pk, org["cat"], "approve", "ok")
    request.refresh_from_db()
    approvals.verify(request, {"user": "kai", "role": "key_holder", "department": "custody"})
    with pytest.raises(approvals.SnapshotMismatch, match="new request"):
        approvals.verify(request, {"user": "kai", "role": "key_holder", "department": "systems"})
    ApprovalRequest.objects.filter(pk=request.pk).update(snapshot={"user": "mallory"})
    request.refresh_from_db()
    with pytest.raises(approvals.SnapshotMismatch, match="altered"):
        approvals.verify(request, {"user": "mallory"})


def test_committee_approves_before_the_board(org) -> None:
    approvals.register_kind("test.plan", policy="board_resolution", apply=lambda request: None)
    request = approvals.submit("test.plan", "Security plan 2027", {"plan": 1}, org["req"])
    with pytest.raises(ApprovalRefused) as refused:
        approvals.decide(request.pk, org["dan"], "approve", "board first?")
    assert refused.value.code == "out_of_order"
    approvals.decide(request.pk, org["ann"], "approve", "committee ok")
    approvals.decide(request.pk, org["cat"], "approve", "committee ok")
    approvals.decide(request.pk, org["dan"], "approve", "board ok")
    assert approvals.decide(request.pk, org["eve"], "approve", "board ok").status == "approved"


def test_changing_a_policy_is_itself_approved(org) -> None:
    policy = ApprovalPolicy.objects.get(code="halt_lift")
    definition = {
        **policy.definition,
        "stages": [{"name": "authorised", "roles": ["ciso"], "required": 3}],
    }
    request = approvals.propose_policy_change(policy, definition, org["req"])
    policy.refresh_from_db()
    assert policy.version == 1  # not yet
    approvals.decide(request.pk, org["ann"], "approve", "ok")
    approvals.decide(request.pk, org["dan"], "approve", "ok")
    policy.refresh_from_db()
    assert policy.version == 2
    assert policy.definition["stages"][0]["required"] == 3


def test_an_unsatisfiable_policy_change_is_refused(org) -> None:
    policy = ApprovalPolicy.objects.get(code="halt_lift")
    with pytest.raises(ApprovalRefused, match="no stage"):
        approvals.propose_policy_change(policy, {**policy.definition, "stages": []}, org["req"])
    assert not ApprovalRequest.objects.exists()


def test_permissions_come_from_roles(org) -> None:
    assert roles.has_permission(org["ann"], "accounts.assign_roles")
    assert not roles.has_permission(org["dan"], "accounts.assign_roles")
    assert not roles.has_permission(make_user("nobody"), "approvals.view_all")


def test_access_review_lists_every_person_with_a_reviewer(org) -> None:
    manager = org["cat"]
    User.objects.filter(username="dan").update(manager=manager)
    review = roles.open_access_review()
    item = review.items.get(person__username="dan")
    assert item.reviewer == manager
    assert item.roles == [{"role": "board_member", "department": None}]
    assert review.items.count() == User.objects.filter(is_active=True).count()


def test_removing_a_key_holder_also_needs_approval(org) -> None:
    person = make_user("kai")
    held = RoleAssignment.objects.create(
        user=person, role=role("key_holder"), department=org["custody"]
    )
    request = roles.revoke(held, org["req"])
    assert isinstance(request, ApprovalRequest)
    held.refresh_from_db()
    assert held.revoked_at is None
    approvals.decide(request.pk, org["ann"], "approve", "leaving the team")
    approvals.decide(request.pk, org["cat"], "approve", "agreed")
    held.refresh_from_db()
    assert held.revoked_at is not None
