"""The deploy gate (SRM 19, 20): a pipeline run simulated end to end — a change approved,
evidence stored for digest A, *go* for A and *no-go* for B — then each reason on its own, the
override that is never silent, and a deployment without a *go* raising one finding."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.accounts.services import approvals
from mamori.operations.models import Change, ChangeFinding, GateDecision, Incident, System
from mamori.operations.services import gate, quality
from tests.conftest import give
from tests.operations import gate_world
from tests.operations.gate_world import A, Approval, B, codes, inspect, store

pytestmark = pytest.mark.django_db

approved, world, ready = gate_world.approved, gate_world.world, gate_world.ready


def test_a_pipeline_run_gets_go_for_the_inspected_digest_and_no_go_for_another(ready) -> None:
    change, dev = ready["change"], ready["people"]["dev"]
    went = gate.decide(change, A, dev)
    assert went.outcome == "go" and went.reasons == []
    refused = gate.decide(change, B, dev)
    assert refused.outcome == "no_go"
    assert set(codes(refused)) == {"evidence_missing", "acceptance_missing"}
    kinds = {r["detail"]["kind"] for r in refused.reasons if r["code"] == "evidence_missing"}
    assert kinds == {"tests", "coverage", "static_analysis", "vulnerabilities", "performance"}
    assert GateDecision.objects.filter(change=change).count() == 2  # every answer is kept


def test_an_approval_still_pending_is_a_reason(ready) -> None:
    approved_state = {"approved": False}
    gate._CHECKS[:] = [
        lambda change: [] if approved_state["approved"] else [Approval("approval_pending", "x")]
    ]
    assert codes(gate.decide(ready["change"], A, None)) == ["approval_pending"]


def test_without_any_approval_check_the_change_must_have_reached_acceptance(ready) -> None:
    gate._CHECKS[:] = []
    change = ready["change"]
    assert gate.decide(change, A, None).outcome == "go"  # at release
    Change.objects.filter(pk=change.pk).update(stage=Change.Stage.BUILD)
    change.refresh_from_db()
    assert codes(gate.decide(change, A, None)) == ["stage_not_releasable"]


def test_coverage_below_the_plan_is_one_reason_with_the_measured_rate(world) -> None:
    store(world["change"], A, coverage={"lines_covered": 780, "lines_valid": 1000})
    inspect(world["change"], A, world["people"]["qa"])
    decision = gate.decide(world["change"], A, None)
    assert decision.outcome == "no_go"
    assert codes(decision) == ["criterion_not_met"]
    reason = decision.reasons[0]
    assert reason["detail"]["actual"] == "78.00" and reason["detail"]["threshold"] == "80"
    assert "78.00" in reason["message"] and "80" in reason["message"]


@pytest.mark.parametrize(
    ("kind", "summary", "metric"),
    [
        ("tests", {"tests": 120, "failures": 1, "errors": 1}, "tests_failed"),
        ("vulnerabilities", {"by_severity": {"critical": 1}}, "vulnerabilities"),
        ("static_analysis", {"by_level": {"error": 3}}, "static_analysis"),
        ("performance", {"metrics": {"p99_ms": "5.01"}}, "performance"),
    ],
)
def test_each_criterion_failing_is_its_own_reason(world, kind, summary, metric) -> None:
    store(world["change"], A, **{kind: summary})
    inspect(world["change"], A, world["people"]["qa"])
    decision = gate.decide(world["change"], A, None)
    assert codes(decision) == ["criterion_not_met"]
    assert decision.reasons[0]["detail"]["metric"] == metric


def test_missing_evidence_of_one_kind_is_its_own_reason(world) -> None:
    store(world["change"], A, static_analysis=None)
    inspect(world["change"], A, world["people"]["qa"])
    decision = gate.decide(world["change"], A, None)
    assert codes(decision) == ["evidence_missing"]
    assert decision.reasons[0]["detail"]["kind"] == "static_analysis"


def test_a_performance_report_without_the_budgeted_metric_is_missing_evidence(world) -> None:
    store(world["change"], A, performance={"metrics": {"p50_ms": "1"}})
    inspect(world["change"], A, world["people"]["qa"])
    assert codes(gate.decide(world["change"], A, None)) == ["evidence_missing"]


def test_a_performance_measured_by_hand_counts_for_that_digest(world) -> None:
    store(world["change"], A, performance=None)
    inspect(world["change"], A, world["people"]["qa"])
    quality.record_performance(world["change"], A, "p99_ms", "4.9", world["people"]["qa"])
    assert gate.decide(world["change"], A, None).outcome == "go"


def test_an_acceptance_no_go_newer_than_the_go_blocks(ready) -> None:
    inspect(ready["change"], A, ready["people"]["qa"], decision="no_go", minutes_ago=-1)
    assert codes(gate.decide(ready["change"], A, None)) == ["acceptance_no_go"]


def test_a_security_review_only_by_the_responsible_person_does_not_count(world) -> None:
    change = world["change"]
    change.security_reviews.all().delete()
    with pytest.raises(quality.QualityRefused):
        quality.record_security_review(change, world["people"]["dev"], "my own review")
    store(change, A)
    inspect(change, A, world["people"]["qa"])
    assert codes(gate.decide(change, A, None)) == ["security_review_missing"]


def test_a_new_version_of_the_standard_asks_for_a_new_attestation(ready) -> None:
    change = ready["change"]
    quality.publish_standard(
        "Secure coding", "1. Validate input. 2. No float.", ready["people"]["sgm"]
    )
    decision = gate.decide(change, A, None)
    assert codes(decision) == ["attestation_outdated"]
    with pytest.raises(quality.QualityRefused) as refused:
        quality.attest(change, ready["people"]["sgm"])  # not the responsible person
    assert refused.value.code == "not_responsible"
    quality.attest(change, ready["people"]["dev"])
    assert gate.decide(change, A, None).outcome == "go"


def test_a_freeze_window_over_a_touched_system_blocks_until_it_ends(ready) -> None:
    now = timezone.now()
    other = System.objects.create(
        code="web", name_ja="ウェブ", name_en="Web", department=ready["system"].department
    )
    quality.add_freeze(
        now - timedelta(hours=1),
        now + timedelta(hours=1),
        "web only",
        [other],
        ready["people"]["sgm"],
    )
    assert gate.decide(ready["change"], A, None).outcome == "go"
    quality.add_freeze(
        now - timedelta(hours=1),
        now + timedelta(hours=2),
        "year-end",
        [],
        ready["people"]["sgm"],
        all_systems=True,
    )
    decision = gate.decide(ready["change"], A, None)
    assert codes(decision) == ["freeze_window"] and "year-end" in decision.reasons[0]["message"]
    with pytest.raises(quality.QualityRefused):
        quality.add_freeze(
            now, now - timedelta(hours=1), "backwards", [other], ready["people"]["sgm"]
        )


def _incident(severity: str, systems: list[str], status: str = "responding") -> Incident:
    return Incident.objects.create(
        reference=f"INC-2026-{Incident.objects.count() + 1:03d}",
        title="outage",
        location="dc",
        severity=severity,
        status=status,
        systems=systems,
        detected_at=timezone.now(),
        reported_at=timezone.now(),
    )


def test_an_open_s1_anywhere_or_s2_on_a_touched_system_blocks(ready) -> None:
    _incident("S2", ["wallet"])
    _incident("S3", ["matching-engine"])
    _incident("S1", ["wallet"], status="closed")
    assert gate.decide(ready["change"], A, None).outcome == "go"
    _incident("S2", ["Matching engine"])
    decision = gate.decide(ready["change"], A, None)
    assert (
        codes(decision) == ["incident_open"] and decision.reasons[0]["detail"]["severity"] == "S2"
    )
    Incident.objects.all().delete()
    _incident("S1", ["kyc"])
    assert codes(gate.decide(ready["change"], A, None)) == ["incident_open"]


def test_a_system_without_a_quality_plan_blocks(ready) -> None:
    bare = System.objects.create(
        code="kyc", name_ja="KYC", name_en="KYC", department=ready["system"].department
    )
    ready["change"].systems.add(bare)
    decision = gate.decide(ready["change"], A, None)
    assert (
        codes(decision) == ["quality_plan_missing"]
        and decision.reasons[0]["detail"]["system"] == "kyc"
    )


def test_every_reason_is_given_at_once(world) -> None:
    change = world["change"]
    gate._CHECKS[:] = [lambda c: [Approval("approval_pending", "x")]]
    store(change, A, coverage={"lines_covered": 1, "lines_valid": 10})
    _incident("S1", [])
    decision = gate.decide(change, A, None)
    assert set(codes(decision)) == {
        "approval_pending",
        "criterion_not_met",
        "acceptance_missing",
        "incident_open",
    }
    assert all(r["message"] for r in decision.reasons)


def test_a_bad_digest_is_refused_before_anything_is_kept(ready) -> None:
    with pytest.raises(gate.GateRefused) as refused:
        gate.decide(ready["change"], "  ", None)
    assert refused.value.code == "bad_digest"
    assert not GateDecision.objects.exists()


def test_an_approved_override_turns_the_next_no_go_into_a_go_that_names_it(world) -> None:
    change, people = world["change"], world["people"]
    store(change, B, coverage={"lines_covered": 700, "lines_valid": 1000})
    inspect(change, B, people["qa"])
    assert gate.decide(change, B, None).outcome == "no_go"
    request = gate.request_override(change, B, "hotfix for a customer-facing outage", people["dev"])
    assert request.snapshot["blockers"] == ["criterion_not_met"]
    assert gate.decide(change, B, None).outcome == "no_go"  # not approved yet
    with pytest.raises(approvals.ApprovalRefused):
        approvals.decide(request.pk, people["dev"], "approve", "mine")
    approvals.decide(request.pk, people["sgm"], "approve", "outage costs more")
    went = gate.decide(change, B, None)
    assert went.outcome == "go"
    assert went.override is not None and went.override.reason.startswith("hotfix")
    assert codes(went) == ["criterion_not_met"]  # the reasons stay on the answer
    assert gate.decide(change, B, None).outcome == "no_go"  # used once
    assert gate.decide(change, A, None).outcome == "no_go"  # for that digest only


def test_a_question_that_lost_the_race_for_an_override_is_answered_no_go(
    world, monkeypatch
) -> None:
    """Two questions at once, one override: the one whose override another answer took in
    the meantime (as PostgreSQL's row lock lets happen) gets *no-go*, not a server error."""
    change, people = world["change"], world["people"]
    store(change, B, coverage={"lines_covered": 700, "lines_valid": 1000})
    inspect(change, B, people["qa"])
    request = gate.request_override(change, B, "hotfix", people["dev"])
    approvals.decide(request.pk, people["sgm"], "approve", "outage costs more")
    won = gate.decide(change, B, None)
    assert won.outcome == "go" and won.override is not None
    seen = won.override
    found_first = gate._usable_override
    calls = []

    def raced(*args):
        calls.append(args)
        return seen if len(calls) <= 2 else found_first(*args)  # lost twice: three callers

    monkeypatch.setattr(gate, "_usable_override", raced)
    lost = gate.decide(change, B, None)
    assert lost.outcome == "no_go" and lost.override is None and len(calls) == 3
    assert GateDecision.objects.filter(override=seen).count() == 1


def test_an_override_lets_through_only_the_reasons_it_was_approved_for(world) -> None:
    """An override approved for a coverage shortfall does not turn a later acceptance *no-go*
    into a *go*; one asked while the gate says go is refused; an old one expires (review H2)."""
    change, people = world["change"], world["people"]
    store(change, B, coverage={"lines_covered": 700, "lines_valid": 1000})
    inspect(change, B, people["qa"], minutes_ago=5)
    request = gate.request_override(change, B, "hotfix", people["dev"])
    approvals.decide(request.pk, people["sgm"], "approve", "outage costs more")
    inspect(change, B, people["qa"], decision="no_go")
    held = gate.decide(change, B, None)
    assert held.outcome == "no_go" and held.override is None
    assert set(codes(held)) == {"criterion_not_met", "acceptance_no_go"}
    store(change, A)
    inspect(change, A, people["qa"])
    with pytest.raises(gate.GateRefused) as refused:
        gate.request_override(change, A, "just in case", people["dev"])
    assert refused.value.code == "nothing_to_override"


def test_an_override_not_used_within_its_validity_is_spent(world) -> None:
    change, people = world["change"], world["people"]
    store(change, B, coverage={"lines_covered": 700, "lines_valid": 1000})
    inspect(change, B, people["qa"])
    request = gate.request_override(change, B, "hotfix", people["dev"])
    approvals.decide(request.pk, people["sgm"], "approve", "ok")
    change.gate_overrides.update(approved_at=timezone.now() - gate.OVERRIDE_VALID - timedelta(1))
    assert gate.decide(change, B, None).outcome == "no_go"


def test_the_responsible_person_cannot_approve_an_override_asked_by_a_colleague(world) -> None:
    change, people = world["change"], world["people"]
    give(people["dev"], "system_general_manager")
    store(change, B, coverage={"lines_covered": 700, "lines_valid": 1000})
    inspect(change, B, people["qa"])
    request = gate.request_override(change, B, "hotfix", people["qa"])
    with pytest.raises(approvals.ApprovalRefused) as refused:
        approvals.decide(request.pk, people["dev"], "approve", "my own change")
    assert refused.value.code == "subject_approval"


@pytest.mark.parametrize("report", [{"tests": 0}, {"tests": 4, "skipped": 4}])
def test_a_test_report_in_which_no_test_ran_measures_nothing(world, report) -> None:
    change, people = world["change"], world["people"]
    store(change, B, tests={"failures": 0, "errors": 0, "skipped": 0, **report})
    inspect(change, B, people["qa"])
    decision = gate.decide(change, B, None)
    assert decision.outcome == "no_go" and codes(decision) == ["evidence_missing"]


@pytest.mark.parametrize("stage", ["cancelled", "closed", "design"])
def test_a_change_not_at_acceptance_or_release_never_gets_go(ready, stage) -> None:
    change = ready["change"]
    change.stage = stage
    change.save(update_fields=["stage"])
    decision = gate.decide(change, A, None)
    assert decision.outcome == "no_go" and codes(decision) == ["stage_not_releasable"]


def test_a_production_deployment_without_a_go_raises_one_finding(ready) -> None:
    at = timezone.now()
    gate.record_deployment("staging", "c0ffee", B, "success", "github")
    gate.record_deployment("production", "c0ffee", B, "failure", "github")
    assert not ChangeFinding.objects.exists()
    gate.record_deployment("production", "c0ffee", B, "success", "github", "CHG-2026-007", at=at)
    gate.record_deployment("production", "c0ffee", B, "success", "github", "CHG-2026-007", at=at)
    finding = ChangeFinding.objects.get()
    assert finding.kind == "deploy_without_go" and finding.change == ready["change"]
    assert finding.detail["artifact_digest"] == B
    gate.decide(ready["change"], A, None)
    gate.record_deployment("production", "c0ffee", A, "success", "gitlab")
    assert ChangeFinding.objects.count() == 1  # A had its go
    gate.record_deployment("prod", "c0ffee", B, "success", "gitlab", external_id="deploy-77")
    assert ChangeFinding.objects.count() == 2  # another deployment of B, another finding


def test_a_deployment_not_started_yet_raises_no_finding_until_it_runs(ready) -> None:
    for state in ("queued", "pending", "waiting"):  # in a queue, or waiting for a reviewer
        gate.record_deployment("production", "c0ffee", B, state, "github", external_id="d-9")
    assert not ChangeFinding.objects.exists()
    gate.record_deployment("production", "c0ffee", B, "in_progress", "github", external_id="d-9")
    gate.record_deployment("production", "c0ffee", B, "success", "github", external_id="d-9")
    assert ChangeFinding.objects.get().detail["state"] == "in_progress"  # once per deployment


def test_a_finding_is_resolved_once_with_a_reason(ready) -> None:
    gate.record_deployment("production", "c0ffee", B, "success", "github")
    finding = ChangeFinding.objects.get()
    with pytest.raises(gate.GateRefused):
        gate.resolve_finding(finding, ready["people"]["sgm"], " ")
    gate.resolve_finding(finding, ready["people"]["sgm"], "rolled back; CHG-2026-008 opened")
    with pytest.raises(gate.GateRefused) as again:
        gate.resolve_finding(finding, ready["people"]["sgm"], "again")
    assert again.value.code == "already_resolved"
