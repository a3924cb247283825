"""The controls of quality management and the deploy gate (SRM 15, 16, 18, 19) read the
records, and the demo's matching-engine release waits on its one failing criterion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.accounts.models import Department
from mamori.core.demo import DemoReport
from mamori.operations import compliance_gate, demo_gate
from mamori.operations.models import GateDecision, SecureCodingAttestation, System
from mamori.operations.services import gate, quality
from tests.conftest import give, make_user
from tests.operations import gate_world
from tests.operations.gate_world import A, B

pytestmark = pytest.mark.django_db

approved, world, ready = gate_world.approved, gate_world.world, gate_world.ready


def test_deploys_without_go_turn_the_gate_control_red_and_none_is_not_measured(ready) -> None:
    assert not compliance_gate.deploys_gated().evidence["measured"]
    gate.decide(ready["change"], A, None)
    gate.record_deployment("production", "c0ffee", A, "success", "github")
    gate.record_deployment("staging", "c0ffee", B, "success", "github")
    result = compliance_gate.deploys_gated()
    assert result.passed and result.evidence["deployments"] == 1
    gate.record_deployment("production", "c0ffee", B, "success", "github")
    result = compliance_gate.deploys_gated()
    assert not result.passed and result.evidence["without_go"] == [B]
    old = timezone.now() - timedelta(days=200)
    gate.record_deployment("production", "c0ffee", "sha256:old", "success", "github", at=old)
    assert compliance_gate.deploys_gated().evidence["deployments"] == 2  # not the old one


def test_every_live_critical_system_needs_a_plan_with_criteria(ready) -> None:
    assert compliance_gate.quality_plans_set().passed
    bare = System.objects.create(
        code="wallet",
        name_ja="ウォレット",
        name_en="Wallet",
        department=ready["system"].department,
        criticality=System.Criticality.HIGH,
    )
    result = compliance_gate.quality_plans_set()
    assert not result.passed and result.evidence["without_plan"] == ["wallet"]
    bare.lifecycle = System.Lifecycle.RETIRED
    bare.save()
    assert compliance_gate.quality_plans_set().passed


def test_no_critical_system_is_not_measured(db) -> None:
    assert not compliance_gate.quality_plans_set().evidence["measured"]
    assert not compliance_gate.secure_coding_attested().evidence["measured"]


def test_a_release_without_attestation_to_the_standard_then_in_force_is_red(ready) -> None:
    gate.decide(ready["change"], A, None)
    assert compliance_gate.secure_coding_attested().passed
    SecureCodingAttestation.objects.all().delete()
    # an override lets a release through without attestation: the control still sees it
    request = gate.request_override(ready["change"], A, "urgent", ready["people"]["dev"])
    from mamori.accounts.services import approvals

    approvals.decide(request.pk, ready["people"]["sgm"], "approve", "ok")
    assert gate.decide(ready["change"], A, None).outcome == "go"
    result = compliance_gate.secure_coding_attested()
    assert not result.passed and result.evidence["not_attested"] == ["CHG-2026-007"]


def test_the_demo_release_of_the_matching_engine_waits_on_coverage_alone(monkeypatch) -> None:
    monkeypatch.setattr(gate, "_CHECKS", [])
    Department.objects.create(code="systems", name_ja="システム部", name_en="Systems")
    give(make_user("takahashi"), "system_general_manager", "ciso")
    make_user("nakamura")
    give(make_user("ito"), "dept_information_manager")
    give(make_user("tanaka"), "dept_system_manager")
    report = DemoReport()
    demo_gate.load(report)
    demo_gate.load(report)  # idempotent
    decision = GateDecision.objects.get()
    assert decision.outcome == "no_go"
    assert [r["code"] for r in decision.reasons] == ["criterion_not_met"]
    assert decision.reasons[0]["detail"]["metric"] == "coverage"
    assert decision.reasons[0]["detail"]["actual"] == "78.00"
    assert quality.current_standard() is not None and len(report.lines) == 1


def test_in_the_whole_demo_the_release_waits_on_coverage_alone() -> None:
    """The changes demo brings the release to acceptance with its approvals given and its
    inspection done; with the change module's approval check in the gate, coverage is the one
    reason left."""
    from mamori.core.demo import load_demo
    from mamori.operations.services.changes import approval_blockers

    assert approval_blockers in gate.registered_checks()
    report = load_demo()
    decision = GateDecision.objects.get(change__title=demo_gate.TITLE)
    assert decision.artifact_digest == demo_gate.DIGEST
    assert [r["code"] for r in decision.reasons] == ["criterion_not_met"], decision.reasons
    assert any(decision.change.reference in line and "coverage" in line for line in report.lines)


def test_the_gate_control_counts_each_deployment_that_ran_once_against_a_go_given_before(
    ready,
) -> None:
    """The control reads deployments as the gate's findings do (review: it counted events,
    queued ones too, and took a go given afterwards or under another change)."""
    gate.record_deployment("production", "c0ffee", B, "queued", "github", external_id="d-1")
    assert not compliance_gate.deploys_gated().evidence["measured"]  # nothing ran yet
    for state in ("in_progress", "success"):
        gate.record_deployment("production", "c0ffee", B, state, "github", external_id="d-1")
    result = compliance_gate.deploys_gated()
    assert result.evidence["deployments"] == 1 and result.evidence["without_go"] == [B]
    an_hour_ago = timezone.now() - timedelta(hours=1)
    reference = ready["change"].reference
    gate.record_deployment(
        "production", "c0ffee", A, "success", "github", reference, an_hour_ago, external_id="d-2"
    )
    decision = gate.decide(ready["change"], A, None)  # a go, but only now
    assert decision.outcome == GateDecision.Outcome.GO
    result = compliance_gate.deploys_gated()
    assert result.evidence["deployments"] == 2 and result.evidence["without_go"] == [A, B]
    gate.record_deployment("production", "c0ffee", A, "success", "github", external_id="d-3")
    assert compliance_gate.deploys_gated().evidence["without_go"] == [A, B]  # d-3 had its go
