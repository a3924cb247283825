"""Authorization that holds (issue 22): each finding of the attacker's review, as a test.

1. the requester chose the approval policy; 2. a signed-in session passed every API scope;
5. the administrator could grant himself approver roles and approve his own token's request;
6. permissions ignored departments and an asset was silently overwritten.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from mamori.accounts.models import (
    ApprovalRequest,
    Department,
    Role,
    RoleAssignment,
    User,
)
from mamori.accounts.services import approvals, roles, tokens
from mamori.accounts.services.approvals import ApprovalRefused
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    sign_in(client, user)
    return client


def give(user: User, code: str, department: Department | None = None) -> User:
    RoleAssignment.objects.create(
        user=user, role=Role.objects.get(code=code), department=department
    )
    return user


@pytest.fixture
def custody() -> Department:
    return Department.objects.create(code="custody", name_ja="カストディ部", name_en="Custody")


@pytest.fixture
def systems() -> Department:
    return Department.objects.create(code="systems", name_ja="システム部", name_en="Systems")


# 1. The requester chooses the approval policy -------------------------------------------


def test_a_service_cannot_open_a_role_grant_through_the_public_api() -> None:
    """The attack: a role grant filed under the one-approver allowlist policy."""
    mallory = make_user("mallory")
    secret = tokens.issue("svc", ["approvals:submit"], 1, None).secret
    body = {
        "kind": "accounts.role_grant",
        "title": "x",
        "snapshot": {"user": mallory.username, "role": "ciso", "department": None},
    }
    answer = Client().post(
        "/api/approvals/requests",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "not_submittable"
    assert not ApprovalRequest.objects.exists()


def test_a_policy_named_by_the_caller_is_refused_not_used() -> None:
    secret = tokens.issue("svc", ["approvals:submit"], 1, None).secret
    answer = Client().post(
        "/api/approvals/requests",
        {
            "kind": "approvals.policy_change",
            "title": "x",
            "policy": "allowlist_address",
            "snapshot": {},
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["fields"]] == ["body.body.policy"]
    assert not ApprovalRequest.objects.exists()


@pytest.mark.parametrize(
    ("kind", "policy"),
    [("accounts.role_grant", "role_grant"), ("approvals.policy_change", "policy_change")],
)
def test_the_server_chooses_the_policy_of_every_guarded_kind(kind: str, policy: str) -> None:
    registered = approvals.kind_of(kind)
    assert not registered.submittable
    snapshot = {"user": "x", "role": "ciso", "department": None}
    assert registered.policy_code(snapshot) == policy


def test_an_empty_role_grant_snapshot_is_refused() -> None:
    requester = make_user("req")
    with pytest.raises(ApprovalRefused) as refused:
        approvals.submit("accounts.role_grant", "x", {}, requester)
    assert refused.value.code == "bad_snapshot"
    assert "user" in refused.value.message and "role" in refused.value.message


# 2. A signed-in session passes every API scope ---------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", "/api/approvals/requests", None),
        ("get", "/api/accounts/users", None),
        ("get", "/api/risk/assets", None),
        ("get", "/api/reconciliation/runs", None),
        (
            "post",
            "/api/custody/withdrawals/check",
            {
                "request_id": "w-1",
                "customer": "c",
                "asset": "ETH",
                "amount": "1600000000000000000000",
                "address": "0x" + "1" * 40,
            },
        ),
        ("post", "/api/custody/events", {"id": "p-1", "type": "price", "asset": "ETH"}),
        (
            "post",
            "/api/notifications",
            {"topic": "x", "severity": "critical", "title": "x", "roles": ["ciso"]},
        ),
    ],
)
def test_a_person_with_no_role_is_refused_by_the_api_as_by_the_pages(
    method: str, url: str, body: dict[str, str] | None
) -> None:
    client = signed_in(make_user("norole"))
    if body is None:
        answer = client.get(url)
    else:
        answer = client.post(url, body, content_type="application/json")
    assert answer.status_code == 403, answer.content
    assert answer.json()["code"] == "forbidden"
    assert "permission" in answer.json()["message"]


def test_a_session_reads_through_the_api_what_its_roles_grant() -> None:
    auditor = give(make_user("kato"), "internal_auditor")
    client = signed_in(auditor)
    assert client.get("/api/approvals/requests").status_code == 200
    assert client.get("/api/accounts/users").status_code == 200


def test_a_token_loses_what_its_issuer_loses() -> None:
    ciso = give(make_user("ciso"), "ciso")
    issued = tokens.issue("reader", ["approvals:read"], 1, ciso)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}", "HTTP_ACCEPT_LANGUAGE": "en"}
    assert Client().get("/api/approvals/requests", **headers).status_code == 200
    RoleAssignment.objects.filter(user=ciso).update(revoked_at="2026-01-01T00:00:00Z")
    answer = Client().get("/api/approvals/requests", **headers)
    assert answer.status_code == 403
    assert "issued this token" in answer.json()["message"]


def test_a_person_cannot_issue_a_token_with_more_than_they_hold() -> None:
    ciso = give(make_user("ciso"), "ciso")
    with pytest.raises(tokens.TokenError, match="custody:check"):
        tokens.issue("check", ["custody:check"], 1, ciso)


# 5. The administrator and his own requests -------------------------------------------------


@pytest.mark.usefixtures("english")
def test_nobody_grants_a_role_to_themselves(custody: Department) -> None:
    admin = make_user("root", superuser=True)
    with pytest.raises(ValueError, match="themselves"):
        roles.assign(admin, Role.objects.get(code="operator"), custody, admin)
    client = signed_in(admin)
    answer = client.post(
        "/accounts/roles/",
        {"user": admin.pk, "role": Role.objects.get(code="operator").pk, "department": custody.pk},
    )
    assert answer.status_code == 400
    assert not RoleAssignment.objects.filter(user=admin).exists()


def test_a_role_that_can_approve_is_granted_only_through_approval(custody: Department) -> None:
    admin = make_user("root", superuser=True)
    puppet = make_user("puppet")
    result = roles.assign(puppet, Role.objects.get(code="custody_operator"), custody, admin)
    assert isinstance(result, ApprovalRequest)
    assert result.policy.code == "role_grant"
    assert not RoleAssignment.objects.filter(user=puppet).exists()


def test_a_role_without_approval_power_is_granted_at_once_by_another_person(
    custody: Department,
) -> None:
    admin = make_user("root", superuser=True)
    kobayashi = make_user("kobayashi")
    result = roles.assign(kobayashi, Role.objects.get(code="operator"), custody, admin)
    assert isinstance(result, RoleAssignment)


def test_a_request_made_with_a_token_is_its_issuers_and_he_cannot_approve_it() -> None:
    ciso = give(make_user("ciso"), "ciso")
    give(make_user("sgm"), "system_general_manager")
    issued = tokens.issue("mine", ["approvals:read"], 1, ciso)
    approvals.register_kind("test.by_token", policy="halt_lift", apply=lambda request: None)
    request = approvals.submit("test.by_token", "t", {"a": 1}, issued.token)
    assert request.requester == ciso and request.requester_token == issued.token
    with pytest.raises(ApprovalRefused) as refused:
        approvals.decide(request.pk, ciso, "approve", "my own")
    assert refused.value.code == "self_approval"


def test_nobody_approves_a_grant_of_a_role_to_themselves(custody: Department) -> None:
    ann = give(make_user("ann"), "ciso")
    bob = give(make_user("bob"), "system_general_manager")
    request = roles.assign(bob, Role.objects.get(code="key_holder"), custody, ann)
    assert isinstance(request, ApprovalRequest)
    with pytest.raises(ApprovalRefused) as refused:
        approvals.decide(request.pk, bob, "approve", "yes please")
    assert refused.value.code == "subject_approval"
    assert approvals.may_decide(request, bob) is not None


def test_an_administrator_holds_no_approver_power_and_passes_no_module_permission() -> None:
    admin = make_user("root", superuser=True)
    requester = make_user("req")
    approvals.register_kind("test.admin", policy="halt_lift", apply=lambda request: None)
    request = approvals.submit("test.admin", "t", {"a": 1}, requester)
    with pytest.raises(ApprovalRefused):
        approvals.decide(request.pk, admin, "approve", "I am root")
    client = signed_in(admin)
    for page in ("/custody/", "/reconciliation/", "/risk/", "/audit/", "/rulebook/"):
        assert client.get(page).status_code == 403, page
    assert client.get("/accounts/people/").status_code == 200
    assert client.get("/accounts/tokens/").status_code == 200


# 6. Departments ----------------------------------------------------------------------------


def _asset_body(owner: User, custodian: str, value: int = 5) -> dict[str, object]:
    return {
        "code": "cold-wallet-seeds",
        "name_ja": "コールドウォレットのシード",
        "kind": "information",
        "classification": "secret",
        "value": value,
        "owner": owner.username,
        "custodian": custodian,
        "location_kind": "system",
        "categories": ["keys"],
    }


def test_a_department_manager_cannot_change_another_departments_asset(
    custody: Department, systems: Department
) -> None:
    ciso = give(make_user("ciso"), "ciso")
    tanaka = give(make_user("tanaka"), "dept_system_manager", systems)
    created = signed_in(ciso).post(
        "/api/risk/assets", _asset_body(ciso, "custody"), content_type="application/json"
    )
    assert created.status_code == 201, created.content
    lowered = {**_asset_body(ciso, "custody", value=1), "classification": "public"}
    answer = signed_in(tanaka).put(
        "/api/risk/assets/cold-wallet-seeds", lowered, content_type="application/json"
    )
    assert answer.status_code == 403
    assert "custody" in answer.json()["message"]
    from mamori.risk.models import InformationAsset

    asset = InformationAsset.objects.get(code="cold-wallet-seeds")
    assert (asset.classification, asset.value) == ("secret", 5)


def test_adding_an_asset_with_a_code_in_use_is_refused_not_an_overwrite(
    custody: Department,
) -> None:
    ciso = give(make_user("ciso"), "ciso")
    client = signed_in(ciso)
    body = _asset_body(ciso, "custody")
    assert client.post("/api/risk/assets", body, content_type="application/json").status_code == 201
    again = client.post("/api/risk/assets", {**body, "value": 1}, content_type="application/json")
    assert again.status_code == 409
    from mamori.risk.models import InformationAsset

    assert InformationAsset.objects.get(code="cold-wallet-seeds").value == 5


def test_a_workbook_import_cannot_change_another_departments_asset(
    custody: Department, systems: Department
) -> None:
    import io

    from openpyxl import Workbook

    from mamori.risk.models import InformationAsset
    from mamori.risk.services import criteria, workbook

    ciso = give(make_user("ciso"), "ciso")
    tanaka = give(make_user("tanaka"), "dept_system_manager", systems)
    InformationAsset.objects.create(
        code="cold-wallet-seeds",
        name_ja="シード",
        name_en="Seeds",
        kind="information",
        classification="secret",
        value=5,
        owner=ciso,
        custodian=custody,
        location_kind="system",
        categories=["keys"],
    )
    assessment = criteria.start_assessment("2026", criteria.default_matrix(), ciso)
    book = Workbook()
    sheet = book.active
    sheet.title = "assets"
    sheet.append(workbook.ASSET_COLUMNS)
    row = ["cold-wallet-seeds", "シード", "Seeds", "information", "public", 1, "ciso"]
    sheet.append([*row, "custody", "system", "", "keys"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(workbook.ImportRefused) as refused:
        workbook.import_workbook(out.getvalue(), assessment, tanaka)
    reasons = [(p.sheet, p.row, p.reason) for p in refused.value.problems]
    assert ("assets", 2, "your roles do not grant risk.manage for the assets of custody") in reasons
    assert InformationAsset.objects.get(code="cold-wallet-seeds").classification == "secret"


def test_the_menu_offers_only_pages_the_person_may_open() -> None:
    nobody = signed_in(make_user("norole"))
    page = nobody.get("/").content.decode()
    assert "/accounts/people/" not in page and "/custody/" not in page and "/audit/" not in page
    assert "/accounts/security/" in page
    auditor = signed_in(give(make_user("kato"), "internal_auditor"))
    page = auditor.get("/").content.decode()
    assert "/audit/" in page and "/accounts/people/" in page


def _scenario_on_custody_seeds(custody: Department) -> tuple[User, object]:
    from mamori.engines.risk import Rating
    from mamori.risk.models import InformationAsset, Threat
    from mamori.risk.services import criteria, scenarios

    ciso = give(make_user("ciso"), "ciso")
    seeds = InformationAsset.objects.create(
        code="cold-wallet-seeds",
        name_ja="シード",
        name_en="Seeds",
        kind="information",
        classification="secret",
        value=5,
        owner=ciso,
        custodian=custody,
        location_kind="system",
        categories=["keys"],
    )
    assessment = criteria.start_assessment("2026", criteria.default_matrix(), ciso)
    draft = scenarios.ScenarioInput(
        code="R-1",
        name_ja="鍵の盗難",
        name_en="Key theft",
        threat=Threat.objects.get(code="hot-wallet-key-theft"),
        assets=[seeds],
        owner=ciso,
        approach="informal",
        approach_note="judgement",
        inherent=Rating(4, 5),
        current=Rating(3, 5),
    )
    return ciso, scenarios.create(assessment, draft, ciso)


def test_a_department_manager_cannot_rerate_another_departments_risk(
    custody: Department, systems: Department
) -> None:
    _ciso, scenario = _scenario_on_custody_seeds(custody)
    tanaka = give(make_user("tanaka"), "dept_system_manager", systems)
    answer = signed_in(tanaka).post(
        f"/api/risk/scenarios/{scenario.pk}/ratings",
        {"stage": "current", "likelihood": 1, "impact": 1, "reason": "fine"},
        content_type="application/json",
    )
    assert answer.status_code == 403 and "custody" in answer.json()["message"]
    scenario.refresh_from_db()
    assert scenario.rating("current").likelihood == 3


def test_the_asset_page_refuses_an_asset_of_another_department(
    custody: Department, systems: Department
) -> None:
    from mamori.risk.models import InformationAsset

    tanaka = give(make_user("tanaka"), "dept_system_manager", systems)
    answer = signed_in(tanaka).post(
        "/risk/assets/",
        {
            "code": "planted",
            "name_ja": "x",
            "name_en": "x",
            "kind": "information",
            "classification": "secret",
            "value": 5,
            "owner": tanaka.pk,
            "custodian": custody.pk,
            "location_kind": "system",
            "categories": "keys",
        },
    )
    assert answer.status_code == 200
    assert "custody" in answer.content.decode()
    assert not InformationAsset.objects.filter(code="planted").exists()


def test_a_department_manager_cannot_change_the_companys_risk_criteria(
    systems: Department,
) -> None:
    from mamori.risk.models import RiskMatrix

    tanaka = give(make_user("tanaka"), "dept_system_manager", systems)
    matrix = RiskMatrix.objects.first()
    before = RiskMatrix.objects.count()
    lowered = {**matrix.data, "acceptance": "high"}
    signed_in(tanaka).post(f"/risk/criteria/{matrix.pk}/next/", {"criteria": json.dumps(lowered)})
    assert RiskMatrix.objects.count() == before
    ciso = signed_in(give(make_user("ciso"), "ciso"))
    ciso.post(f"/risk/criteria/{matrix.pk}/next/", {"criteria": json.dumps(lowered)})
    assert RiskMatrix.objects.count() == before + 1  # a company-wide role may


@pytest.mark.parametrize("number", ["²", "9" * 5000, "-1", ""])
def test_a_record_number_that_is_not_plain_digits_is_refused_not_a_server_error(
    number: str,
) -> None:
    ciso = signed_in(give(make_user("ciso"), "ciso"))
    assert ciso.post("/custody/thresholds/", {"toggle": number}).status_code == 400
    assert ciso.get("/risk/", {"assessment": number}).status_code == 200


def test_the_administrator_does_not_read_notifications_sent_to_others() -> None:
    from mamori.notifications.services import Recipient, notify

    give(make_user("ciso"), "ciso")
    notification = notify(
        "test.secret", "critical", ("秘密", "Secret"), ("本文", "body"), [[Recipient("ciso")]]
    )
    admin = signed_in(make_user("root", superuser=True))
    assert admin.get(f"/notifications/{notification.pk}/").status_code == 403


def test_a_token_stops_when_its_issuer_loses_administration_even_after_use() -> None:
    admin = make_user("root", superuser=True)
    issued = tokens.issue("platform", ["platform:read"], 1, admin)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}
    assert Client().get("/api/platform", **headers).status_code == 200  # now in the cache
    User.objects.filter(pk=admin.pk).update(is_superuser=False)
    assert Client().get("/api/platform", **headers).status_code == 403
