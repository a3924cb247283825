"""Each kind of approval request is shown as what it means, not as raw JSON (issue 25, 2):
a sentence, a before/after table or a diff, links to the record it is about, and a title in
the viewer's language; a kind without a display is a definition list of its snapshot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mamori.accounts.models import ApprovalPolicy, ApprovalRequest, Role, RoleAssignment
from mamori.accounts.services import approvals
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db


def _request(kind: str, snapshot: dict[str, Any], title: str = "stored title") -> ApprovalRequest:
    policy = ApprovalPolicy.objects.get(code="policy_change")
    now = timezone.now()
    return ApprovalRequest.objects.create(
        kind=kind,
        title=title,
        policy=policy,
        policy_version=policy.version,
        policy_definition=policy.definition,
        snapshot=snapshot,
        snapshot_sha256=approvals.snapshot_sha256(snapshot),
        requester=make_user(f"req-{ApprovalRequest.objects.count()}"),
        created_at=now,
        expires_at=now + timedelta(days=3),
    )


@pytest.fixture
def officer() -> Client:
    ann = make_user("ann")
    RoleAssignment.objects.create(user=ann, role=Role.objects.get(code="ciso"))
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    sign_in(client, ann)
    return client


def _page(client: Client, item: ApprovalRequest, language: str = "ja") -> str:
    response = client.get(f"/accounts/approvals/{item.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def _body(page: str) -> str:
    """The part of the page that shows what is approved (the stored JSON is folded away)."""
    start = page.index('id="approval-body"')
    return page[start : page.index("<details>", start)]


def test_a_role_grant_is_a_sentence_naming_the_role_and_linking_the_person(officer) -> None:
    kai = make_user("kai")
    item = _request(
        "accounts.role_grant",
        {"user": "kai", "role": "key_holder", "department": None},
        "Grant Key holder to kai",
    )
    role = Role.objects.get(code="key_holder")
    page = _page(officer, item)
    assert role.name_ja in _body(page)
    assert f'href="/accounts/staff/{kai.pk}/"' in page
    assert "Grant Key holder to kai" not in page  # the stored English title is not shown
    assert f"kai に役割「{role.name_ja}」を付与する" in page
    assert "key_holder" not in _body(page).split("<code>")[0]
    english = _page(officer, item, "en")
    assert f"Grant the role {role.name_en} to kai" in english


def test_the_stage_roles_are_named_not_coded(officer) -> None:
    item = _request("accounts.role_grant", {"user": "x", "role": "ciso", "department": None})
    page = _page(officer, item)
    names = {r.code: r.name_ja for r in Role.objects.all()}
    for stage in item.policy_definition["stages"]:
        for code in stage["roles"]:
            assert f'<span class="tag">{names[code]}</span>' in page
            assert f'<span class="tag">{code}</span>' not in page


def test_a_policy_change_is_a_diff_of_the_definition(officer) -> None:
    policy = ApprovalPolicy.objects.get(code="halt_lift")
    changed = {**policy.definition, "lifetime_hours": 999}
    item = approvals.propose_policy_change(policy, changed, make_user("proposer"))
    body = _body(_page(officer, item))
    assert 'class="diff"' in body and '<span class="add">' in body and "999" in body


def test_a_kind_without_a_display_is_a_definition_list(officer) -> None:
    item = _request("test.unknown_kind", {"alpha": {"beta": [1, 2]}, "gamma": True})
    body = _body(_page(officer, item))
    assert '<dl class="snapshot">' in body
    assert "alpha › beta" in body and "1, 2" in body
    assert "{" not in body


@pytest.mark.parametrize(
    ("kind", "snapshot", "expected"),
    [
        (
            "custody.halt_lift",
            {"halt": "H-1", "scope": "asset", "key": "BTC", "rule": "r1"},
            ["H-1", "BTC", 'href="/custody/"'],
        ),
        (
            "custody.withdrawal_release",
            {
                "request_id": "w-1",
                "customer": "c-9",
                "asset": "BTC",
                "amount": "5",
                "address": "bc1qxyz",
                "reasons": ["threshold.hold"],
            },
            ["w-1", "c-9", "bc1qxyz"],
        ),
        (
            "custody.allowlist_address",
            {"customer": "c-9", "asset": "ETH", "address": "0xabc"},
            ["c-9", "0xabc"],
        ),
        (
            "custody.threshold_change",
            {"rule": "T-1", "current": {"active": True}, "requested": {"active": False}},
            ["T-1", "<del>", "<ins>", 'href="/custody/thresholds/"'],
        ),
        (
            "reconciliation.node_change",
            {
                "chain": "bitcoin",
                "current": None,
                "requested": {
                    "family": "bitcoin",
                    "url_encrypted": "SECRET-CIPHERTEXT",
                    "url_shown": "http://node:8332",
                    "confirmations": 6,
                    "timeout_seconds": 5,
                },
            },
            ["http://node:8332", "<ins>", 'href="/reconciliation/nodes/"'],
        ),
        (
            "auditlog.key_rotation",
            {"purpose": "audit", "current_key_id": "old1", "new_key": "ed25519+newkey+AAAA"},
            ["old1", "newkey"],
        ),
    ],
)
def test_each_kind_has_its_own_display_and_a_japanese_title(officer, kind, snapshot, expected):
    item = _request(kind, snapshot, "English stored title")
    page = _page(officer, item)
    body = _body(page)
    assert "English stored title" not in page
    for text in expected:
        assert text in page
    assert "SECRET-CIPHERTEXT" not in body
    assert 'id="approval-sentence"' in body


def test_a_security_plan_links_its_pdf_and_summarises_its_risks(officer) -> None:
    snapshot = {
        "plan": 12345,
        "version": 2,
        "sha256": "0" * 64,
        "content": {
            "assessment": {"id": 1, "name": "2026年度評価"},
            "criteria": {"code": "C", "version": 1, "acceptance": "L2"},
            "scenarios": [
                {
                    "code": "R-01",
                    "name_ja": "鍵の漏えい",
                    "name_en": "Key leak",
                    "owner": "ann",
                    "levels": {"inherent": {"level": "L4"}, "residual": {"level": "L2"}},
                    "option": "reduce",
                    "controls": ["C-1"],
                    "new_controls": "",
                    "actions": [],
                }
            ],
            "budget_jpy": "0",
        },
    }
    item = _request("risk.security_plan", snapshot)
    page = _page(officer, item)
    assert 'href="/risk/plans/12345/plan.pdf"' in page
    assert "鍵の漏えい" in _body(page) and "L4" in _body(page)
    assert "2026年度評価" in page


def test_an_old_snapshot_the_display_cannot_read_falls_back(officer) -> None:
    item = _request("custody.halt_lift", {"unexpected": "shape"}, "Lift halt asset BTC")
    page = _page(officer, item)
    assert "Lift halt asset BTC" in page  # the stored title
    assert '<dl class="snapshot">' in _body(page)


def test_a_policy_publication_shows_each_changed_section_and_links_the_draft(officer) -> None:
    from mamori.rulebook.models import PolicyDocument
    from mamori.rulebook.services import policies

    policies.ensure_documents()
    document = PolicyDocument.objects.order_by("code").first()
    assert document is not None
    author = make_user("author")
    body = {
        section["key"]: {"ja": f"{section['ja']}の本文", "en": f"{section['en']} text"}
        for section in document.sections
    }
    draft = policies.save_draft(document, body, author)
    item = policies.submit_for_publication(draft, author)
    page = _page(officer, item)
    assert document.title_ja in page
    assert f'href="/rulebook/policies/{document.code}/v/{draft.number}/"' in page
    assert f"{document.sections[0]['ja']}の本文" in _body(page)


def test_refusals_are_said_in_the_viewers_language_with_roles_named() -> None:
    from mamori.engines import approvals as engine

    name = Role.objects.get(code="ciso").name_ja
    assert name in approvals.shown(engine.Refusal("role_missing", "…", roles=("ciso",)))
    already = approvals.shown(engine.Refusal("already_decided", "this person has…"))
    assert "this person" not in already
    assert "the request is" not in approvals.shown(
        engine.Refusal("closed", "…", status=ApprovalRequest.Status.EXPIRED)
    )


def test_a_segregation_refusal_is_japanese_naming_the_roles() -> None:
    from mamori.accounts.models import Department
    from mamori.accounts.services import roles

    systems = Department.objects.create(code="systems", name_ja="システム部", name_en="Systems")
    dev = make_user("dev")
    RoleAssignment.objects.create(
        user=dev, role=Role.objects.get(code="developer"), department=systems
    )
    with pytest.raises(roles.SegregationRefused) as refused:
        roles.segregation_check(dev, Role.objects.get(code="operator"), systems)
    message = str(refused.value.message)
    assert "sod-dev-ops" in message and "while holding" not in message
    assert Role.objects.get(code="operator").name_ja in message


def test_approvers_are_notified_with_the_title_in_both_languages(
    django_capture_on_commit_callbacks,
) -> None:
    from mamori.accounts import approval_display
    from mamori.notifications.models import Notification

    ann = make_user("ann")
    RoleAssignment.objects.create(user=ann, role=Role.objects.get(code="ciso"))
    policy = ApprovalPolicy.objects.get(code="halt_lift")
    with django_capture_on_commit_callbacks(execute=True):
        item = approvals.propose_policy_change(
            policy, {**policy.definition, "lifetime_hours": 48}, make_user("proposer")
        )
    ja, en = approval_display.titles(item)
    assert ja.startswith("承認ポリシー halt_lift の変更") and en.startswith("Change the approval")
    told = Notification.objects.get(topic="approvals.submitted")
    assert told.title_ja == f"承認待ち: {ja}" and told.title_en == f"Waiting for approval: {en}"
