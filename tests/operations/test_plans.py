"""Contingency plans and drills (SRM 5-2, ISM 3, ISM 30-3): a version is approved by two others
(never its requester); a yearly review past due turns the control red; a drill started by a
leader opens a drill incident he commands, its steps are timed and finishing it counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.accounts.models import ApprovalRequest, Role, RoleAssignment
from mamori.accounts.services import approvals
from mamori.operations import compliance_bcp
from mamori.operations.models import ContingencyPlan, DrillCommand, PlanVersion
from mamori.operations.services import drills, plans
from tests.conftest import give, make_user

pytestmark = pytest.mark.django_db

STEPS = "15 | Call the CSIRT\n30 | Halt trading"
CONTACTS = "CSIRT on call -> SGM | 03-1234-5678\nSGM -> Representative director | 03-1234-0000"


@pytest.fixture
def leaders() -> dict[str, object]:
    return {
        "rd": give(make_user("rd-sato"), "representative_director"),
        "sgm": give(make_user("sgm-kato"), "system_general_manager"),
        "ciso": give(make_user("ciso-hara"), "ciso"),
    }


def _draft(scenario: str, people: dict[str, object], by: object) -> PlanVersion:
    return plans.save_version(
        scenario,
        by,  # type: ignore[arg-type]
        text="# Plan",
        steps=plans.parse_steps(STEPS),
        contacts=plans.parse_contacts(CONTACTS),
        representative_director=people["rd"],  # type: ignore[arg-type]
        representative_director_role="Heads the response HQ",
        system_general_manager=people["sgm"],  # type: ignore[arg-type]
        system_general_manager_role="Commands recovery",
    )


def _approve(scenario: str, people: dict[str, object]) -> PlanVersion:
    version = _draft(scenario, people, people["sgm"])
    request = plans.submit(version, people["sgm"])  # type: ignore[arg-type]
    approvals.decide(request.pk, people["rd"], "approve", "ok")  # type: ignore[arg-type]
    approvals.decide(request.pk, people["ciso"], "approve", "ok")  # type: ignore[arg-type]
    version.refresh_from_db()
    return version


def test_a_version_is_approved_by_two_others_and_never_by_its_requester(leaders) -> None:
    version = _draft("system_failure", leaders, leaders["sgm"])
    request = plans.submit(version, leaders["sgm"])
    with pytest.raises(approvals.ApprovalRefused):
        approvals.decide(request.pk, leaders["sgm"], "approve", "mine")
    approvals.decide(request.pk, leaders["rd"], "approve", "ok")
    version.refresh_from_db()
    assert version.status == PlanVersion.Status.PENDING
    approvals.decide(request.pk, leaders["ciso"], "approve", "ok")
    version.refresh_from_db()
    assert version.status == PlanVersion.Status.APPROVED
    assert ApprovalRequest.objects.get(pk=request.pk).status == "approved"
    plan = version.plan
    assert plan.next_review_on == timezone.localdate() + timedelta(days=365)


def test_bad_steps_or_contacts_are_refused_naming_the_lines() -> None:
    with pytest.raises(plans.PlanRefused) as refused:
        plans.parse_contacts("A -> B | 03-1234-5678\nnot a call")
    assert refused.value.code == "bad_contacts" and "2" in refused.value.message


def test_a_yearly_review_overdue_turns_the_control_red(leaders) -> None:
    assert not compliance_bcp.plans_current().evidence["measured"]
    for scenario in ContingencyPlan.Scenario.values:
        _approve(scenario, leaders)
    assert compliance_bcp.plans_current().passed
    ContingencyPlan.objects.filter(scenario="cyber_attack").update(
        next_review_on=timezone.localdate() - timedelta(days=1)
    )
    result = compliance_bcp.plans_current()
    assert not result.passed and "cyber_attack" in result.summary_en


def test_a_new_leader_flags_every_plan_for_review(leaders) -> None:
    _approve("vendor_failure", leaders)
    RoleAssignment.objects.create(
        user=make_user("rd-new"), role=Role.objects.get(code="representative_director")
    )
    plan = ContingencyPlan.objects.get(scenario="vendor_failure")
    assert plan.review_flagged_since is not None
    _approve("vendor_failure", leaders)
    plan.refresh_from_db()
    assert plan.review_flagged_since is None


def test_a_drill_commanded_by_both_leaders_counts_for_its_scenario(leaders) -> None:
    assert not compliance_bcp.drills_held().evidence["measured"]
    _approve("crypto_asset_leak", leaders)
    with pytest.raises(drills.DrillRefused) as refused:
        drills.schedule(
            "crypto_asset_leak", timezone.localdate(), [leaders["ciso"]], [], leaders["sgm"]
        )
    assert refused.value.code == "not_a_leader"
    drill = drills.schedule(
        "crypto_asset_leak",
        timezone.localdate(),
        [leaders["sgm"], leaders["rd"]],
        [],
        leaders["sgm"],
    )
    with pytest.raises(drills.DrillRefused):
        drills.start(drill, leaders["ciso"])
    drills.start(drill, leaders["sgm"])
    drill.refresh_from_db()
    assert drill.incident.drill and drill.incident.commander == leaders["sgm"]
    drills.take_command(drill, leaders["rd"])
    drills.step(drill, 0, "started", leaders["sgm"])
    drills.step(drill, 0, "finished", leaders["sgm"])
    drills.finish(drill, "ok", leaders["sgm"])
    drill.refresh_from_db()
    assert drill.status == "completed" and drill.incident.status == "closed"
    assert drills.minutes(drill.step_times[0]) == 0
    assert set(DrillCommand.objects.values_list("role", flat=True)) == set(drills.LEADER_ROLES)
    result = compliance_bcp.drills_held()
    assert "crypto_asset_leak" not in result.summary_en
    assert "commanded by" not in result.summary_en


def test_the_demo_approves_five_plans_and_holds_a_leak_drill_last_quarter(db) -> None:
    from mamori.accounts import demo as accounts_demo
    from mamori.core.demo import DemoReport
    from mamori.keys import demo, demo_leak
    from mamori.operations import demo_bcp
    from mamori.operations.models import FollowUpAction, PlanDrill
    from mamori.rulebook.models import Control
    from mamori.rulebook.services.controls import run_control

    report = DemoReport()
    accounts_demo.load(report)
    demo.load(report)
    demo_leak.load(report)
    demo_bcp.load(report)
    demo_bcp.load(report)  # idempotent
    assert PlanVersion.objects.filter(status="approved").count() == 5
    drill = PlanDrill.objects.get()
    assert drill.plan.scenario == "crypto_asset_leak" and drill.status == "completed"
    assert drill.leak_drill is not None  # the key-holder drill held that day (ISM 30-3)
    assert (timezone.localdate() - timezone.localdate(drill.finished_at)).days >= 89
    assert FollowUpAction.objects.filter(drill=drill, done_at__isnull=True).count() == 1
    assert run_control(Control.objects.get(code="BCP-01")).outcome == "pass"
    assert run_control(Control.objects.get(code="BCP-05")).outcome == "pass"


def test_a_new_leak_runbook_flags_the_crypto_asset_leak_plan(
    leaders, django_capture_on_commit_callbacks
) -> None:
    from mamori.keys import leak
    from mamori.keys.models import ResponseDocument, Wallet

    _approve("crypto_asset_leak", leaders)
    wallet = Wallet.objects.create(
        name="btc-hot",
        chain="bitcoin",
        asset="BTC",
        scheme="multisig",
        m=2,
        n=3,
        hot=True,
        responsible=leaders["sgm"],
    )
    runbook = leak.save_version(
        ResponseDocument.Kind.RUNBOOK,
        leaders["sgm"],
        text="# R",
        steps=[{"title": "Halt", "minutes": 5}],
        wallets=[wallet],
    )
    request = leak.submit(runbook, leaders["sgm"])
    with django_capture_on_commit_callbacks(execute=True):
        approvals.decide(request.pk, leaders["ciso"], "approve", "ok")
    plan = ContingencyPlan.objects.get(scenario="crypto_asset_leak")
    assert plan.review_flagged_since is not None
    assert "runbook v1" in plan.review_reasons[-1]["reason"]
