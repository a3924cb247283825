"""The development plan (SRM 4-6, 11-2), the systems register pages and API, the change
pages and the controls measuring them (SRM 11, 20, 22): a plan version is decided by the
committee and then the board and supersedes the one before, its differences shown; the
register lists, filters and downloads; each control is not measured without records, green
when they show the article met and red naming what is missing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from mamori.accounts.models import Department
from mamori.accounts.services import approvals, tokens
from mamori.operations import compliance_changes
from mamori.operations.models import Change, DevelopmentPlan, DevPlanVersion, System
from mamori.operations.services import change_reviews, changes, devplans
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def org() -> dict[str, object]:
    department = Department.objects.get_or_create(
        code="systems", defaults={"name_ja": "システム部", "name_en": "Systems"}
    )[0]
    people = {
        "drafter": give(make_user("dsm-tanaka"), "dept_system_manager"),
        "sgm": give(make_user("sgm-sato"), "system_general_manager"),
        "ciso": give(make_user("ciso-hara"), "ciso"),
        "board1": give(make_user("board-ito"), "board_member"),
        "board2": give(make_user("board-kudo"), "board_member"),
        "dev": give(make_user("dev-nakamura"), "developer"),
        "nobody": make_user("nobody"),
    }
    people["engine"] = System.objects.create(
        code="matching-engine",
        name_ja="マッチングエンジン",
        name_en="Matching engine",
        department=department,
        system_manager=people["drafter"],
        criticality=System.Criticality.HIGH,
    )
    return people


PROJECTS = "Engine renewal | dev-nakamura | matching-engine | 120,000,000 | {y}-01-01 | {y}-12-31"


def _version(org: dict[str, object], projects: str) -> DevPlanVersion:
    year = timezone.localdate().year
    plan, _ = DevelopmentPlan.objects.get_or_create(code="devplan", defaults={"title": "Plan"})
    return devplans.save_version(
        plan,
        org["drafter"],  # type: ignore[arg-type]
        starts_on=date(year, 1, 1),
        ends_on=date(year + 2, 12, 31),
        strategy="Safe trading platform",
        strategy_url="",
        projects=devplans.parse_projects(projects.format(y=year)),
    )


def _approve(org: dict[str, object], version: DevPlanVersion) -> DevPlanVersion:
    request = devplans.submit(version, org["drafter"])  # type: ignore[arg-type]
    for who in ("sgm", "ciso"):
        approvals.decide(request.pk, org[who], "approve", "ok")  # type: ignore[arg-type]
    version.refresh_from_db()
    assert version.status == DevPlanVersion.Status.PENDING  # the committee alone is not enough
    with pytest.raises(approvals.ApprovalRefused):
        approvals.decide(request.pk, org["drafter"], "approve", "mine")  # type: ignore[arg-type]
    for who in ("board1", "board2"):
        approvals.decide(request.pk, org[who], "approve", "ok")  # type: ignore[arg-type]
    version.refresh_from_db()
    return version


def test_a_plan_version_is_decided_by_the_committee_then_the_board_and_supersedes_the_last(
    org,
) -> None:
    assert not compliance_changes.devplan_current().evidence["measured"]
    first = _approve(org, _version(org, PROJECTS))
    assert first.status == DevPlanVersion.Status.APPROVED
    assert first.projects.get().budget_jpy == Decimal("120000000")
    assert compliance_changes.devplan_current().passed
    second = _version(
        org,
        PROJECTS.replace("120,000,000", "150,000,000")
        + "\nWallet multisig | dsm-tanaka | | 45,000,000 | {y}-04-01 | {y}-09-30",
    )
    changed = {(d["what"], d["field"]) for d in devplans.diff(second)}
    assert ("Engine renewal", "budget_jpy") in changed
    assert any(what == "Wallet multisig" for what, _field in changed)
    second = _approve(org, second)
    first.refresh_from_db()
    assert (first.status, second.status) == ("superseded", "approved")


def test_a_plan_whose_period_has_ended_is_not_current(org) -> None:
    year = timezone.localdate().year
    version = _version(org, PROJECTS)
    DevPlanVersion.objects.filter(pk=version.pk).update(
        starts_on=date(year - 3, 1, 1), ends_on=timezone.localdate() - timedelta(days=1)
    )
    _approve(org, DevPlanVersion.objects.get(pk=version.pk))
    result = compliance_changes.devplan_current()
    assert result.evidence["measured"] and not result.passed


def test_bad_project_lines_are_refused_naming_the_lines(org) -> None:
    with pytest.raises(devplans.DevPlanRefused) as refused:
        devplans.parse_projects("A | nobody-here | | 10 | 2026-01-01 | 2026-02-01\n\nB | x")
    assert refused.value.code == "bad_projects" and "1, 3" in refused.value.message


def test_the_plan_page_shows_the_differences_and_sends_a_draft_to_the_board(org) -> None:
    _approve(org, _version(org, PROJECTS))
    client = client_for(org["drafter"])
    year = timezone.localdate().year
    page = client.post(
        "/operations/devplans/devplan/",
        {
            "starts_on": f"{year}-01-01",
            "ends_on": f"{year + 2}-12-31",
            "strategy": "Safe trading platform",
            "strategy_url": "",
            "projects": PROJECTS.format(y=year).replace("120,000,000", "99,000,000"),
        },
        follow=True,
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="diff-2"' in body and "99000000" in body
    draft = DevPlanVersion.objects.get(number=2)
    client.post(f"/operations/devplans/versions/{draft.pk}/submit/")
    draft.refresh_from_db()
    assert draft.status == "pending" and draft.approval.policy.code == "board_resolution"
    assert client_for(org["nobody"]).get("/operations/devplans/").status_code == 403


def test_the_systems_register_lists_filters_downloads_and_is_edited_by_its_managers(org) -> None:
    client = client_for(org["drafter"])
    added = client.post(
        "/operations/systems/add/",
        {
            "code": "wallet-service",
            "name_ja": "ウォレット",
            "name_en": "Wallet service",
            "description": "",
            "department": Department.objects.get(code="systems").pk,
            "system_manager": "",
            "criticality": "high",
            "lifecycle": "live",
        },
    )
    assert added.status_code == 302
    page = client.get("/operations/systems/?criticality=high").content.decode()
    assert "wallet-service" in page and "matching-engine" in page
    csv = client.get("/operations/systems/?export=csv&q=wallet").content.decode()
    assert "wallet-service" in csv and "matching-engine" not in csv
    assert client.get("/operations/systems/?export=xlsx").status_code == 200
    assert client_for(org["dev"]).get("/operations/systems/add/").status_code == 403


def test_the_systems_api_reads_and_writes_with_its_scopes(org) -> None:
    reader = Client(
        HTTP_AUTHORIZATION=f"Bearer {tokens.issue('r', ['systems:read'], 30, org['dev']).secret}"
    )
    listed = reader.get("/api/systems?criticality=high").json()
    assert [s["code"] for s in listed["items"]] == ["matching-engine"]
    assert reader.get("/api/systems?criticality=nope").status_code == 422
    body = {"code": "kyc", "name_ja": "本人確認", "name_en": "KYC", "department": "systems"}
    assert reader.post("/api/systems", body, content_type="application/json").status_code == 403
    writer = Client(
        HTTP_AUTHORIZATION="Bearer "
        + tokens.issue("w", ["systems:write"], 30, org["drafter"]).secret
    )
    made = writer.post("/api/systems", body, content_type="application/json")
    assert made.status_code == 201 and made.json()["department"] == "systems"
    again = writer.post(
        "/api/systems", {**body, "criticality": "low"}, content_type="application/json"
    )
    assert again.status_code == 200 and System.objects.get(code="kyc").criticality == "low"
    bad = writer.post(
        "/api/systems", {**body, "department": "nowhere"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["code"] == "bad_system"


def _released(org: dict[str, object], *, inspected: bool = True) -> Change:
    change = changes.create(
        org["sgm"],  # type: ignore[arg-type]
        title="Release",
        kind=Change.Kind.STANDARD,
        category=Change.Category.CHANGE,
        responsible=org["dev"],  # type: ignore[arg-type]
        systems=[org["engine"]],  # type: ignore[list-item]
        planned={},
    )
    for _stage in ("design", "build", "test", "acceptance"):
        change = changes.advance(change, org["dev"])  # type: ignore[arg-type]
    changes.inspect(
        change,
        org["sgm"],
        artifact_digest="sha256:aa",
        practical_tests="t",
        decision="go",  # type: ignore[arg-type]
    )
    asked = changes.request_approval(change, "release", org["dev"])  # type: ignore[arg-type]
    approvals.decide(asked.approval_id, org["ciso"], "approve", "ok")  # type: ignore[arg-type]
    change = changes.advance(change, org["dev"])  # type: ignore[arg-type]
    if not inspected:
        change.inspections.all().delete()
    return change


def test_the_acceptance_control_is_red_for_a_release_without_a_go_inspection(org) -> None:
    assert not compliance_changes.acceptance_recorded().evidence["measured"]
    _released(org)
    assert compliance_changes.acceptance_recorded().passed
    bad = _released(org, inspected=False)
    result = compliance_changes.acceptance_recorded()
    assert not result.passed and bad.reference in result.summary_en


def test_the_post_change_review_control_counts_reviews_signed_by_their_due_date(org) -> None:
    change = _released(org)
    assert not compliance_changes.post_change_reviews().evidence["measured"]
    change = changes.advance(change, org["dev"])  # type: ignore[arg-type]
    long_ago = timezone.now() - timedelta(days=20)
    change.stage_plans.filter(stage="release").update(reached_at=long_ago)
    result = compliance_changes.post_change_reviews()
    assert result.evidence["measured"] and not result.passed
    review = change.post_review
    review.due_on = timezone.localdate()
    review.save()
    change_reviews.sign(review, org["drafter"], "Stable.")  # type: ignore[arg-type]
    assert compliance_changes.post_change_reviews().passed
    assert compliance_changes.changes_controlled().passed


def test_the_change_pages_walk_a_change_and_refuse_what_a_rule_refuses(org) -> None:
    client = client_for(org["dev"])
    today = timezone.localdate()
    made = client.post(
        "/operations/changes/add/",
        {
            "title": "Engine release",
            "kind": "normal",
            "category": "change",
            "responsible": org["dev"].pk,  # type: ignore[attr-defined]
            "systems": [org["engine"].pk],  # type: ignore[attr-defined]
            "planned_design": (today - timedelta(days=2)).isoformat(),
        },
    )
    change = Change.objects.get()
    assert made.status_code == 302 and made["Location"].endswith(f"/{change.reference}/")
    refused = client.post(f"/operations/changes/{change.reference}/advance/", follow=True)
    assert "design" in refused.content.decode() or "設計" in refused.content.decode()
    assert Change.objects.get().stage == "plan"
    client.post(f"/operations/changes/{change.reference}/approval/", {"stage": "design"})
    page = client.get(f"/operations/changes/{change.reference}/").content.decode()
    assert 'id="blockers"' in page and 'id="slippage" class="status-bad">2<' in page
    listed = client.get("/operations/changes/?export=csv").content.decode()
    assert change.reference in listed and ",2," in listed
    assert client_for(org["nobody"]).get("/operations/changes/").status_code == 403


def test_the_demo_registers_the_systems_the_approved_plan_and_the_release_at_acceptance() -> None:
    from mamori.core.demo import load_demo

    load_demo()
    assert set(System.objects.values_list("code", flat=True)) >= {
        "matching-engine",
        "wallet-service",
        "web",
        "kyc",
        "db",
    }
    assert DevPlanVersion.objects.get().status == "approved"
    assert compliance_changes.devplan_current().passed
    release = Change.objects.get(title__contains="2026.12")
    assert release.stage == "acceptance" and changes.approval_blockers(release) == []
    assert release.inspections.get().decision == "go"
    load_demo()
    assert Change.objects.count() == 1


def test_a_participant_without_a_role_signs_a_new_service_on_its_signing_page(org) -> None:
    user_side, risk_side = make_user("user-ueda"), make_user("risk-mori")
    change = changes.create(
        org["sgm"],  # type: ignore[arg-type]
        title="New staking service",
        kind=Change.Kind.NORMAL,
        category=Change.Category.NEW_SERVICE,
        responsible=org["dev"],  # type: ignore[arg-type]
        systems=[org["engine"]],  # type: ignore[list-item]
        planned={},
        user_participant=user_side,
        risk_participant=risk_side,
    )
    url = f"/operations/changes/{change.reference}/sign/"
    client = client_for(user_side)
    assert client.get(f"/operations/changes/{change.reference}/").status_code == 403
    assert 'id="sign-user"' in client.get(url).content.decode()
    client.post(url)
    assert change.participants.get(side="user").signed_at is not None
    assert client_for(org["dev"]).get(url).status_code == 403
    codes = [b.code for b in changes.approval_blockers(change)]
    assert codes.count("participant_signature_missing") == 1
