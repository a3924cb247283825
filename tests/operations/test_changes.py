"""Changes under control (SRM 8-3, 11-3..6, 17, 20, 22): stages advance only with the
approvals their rules ask for, a new service needs both departments' signatures, the
acceptance inspection is decided by someone other than the responsible person, an emergency
change approved late raises one finding, the post-change review is signed by the system
manager, and the deploy gate is told why approvals are incomplete."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.accounts.models import Department
from mamori.accounts.services import approvals
from mamori.operations import compliance_changes
from mamori.operations.models import (
    Change,
    ChangeFinding,
    Incident,
    StagePlan,
    StageRule,
    System,
)
from mamori.operations.services import change_reviews, changes
from tests.conftest import give, make_user
from tests.operations import gate_world

pytestmark = pytest.mark.django_db

approved, world, ready = gate_world.approved, gate_world.world, gate_world.ready


@pytest.fixture
def team() -> dict[str, object]:
    systems = Department.objects.get_or_create(
        code="systems", defaults={"name_ja": "システム部", "name_en": "Systems"}
    )[0]
    people = {
        "sgm": give(make_user("sgm-sato"), "system_general_manager"),
        "ciso": give(make_user("ciso-hara"), "ciso"),
        "dev": give(make_user("dev-nakamura"), "developer"),
        "qa": give(make_user("qa-kato"), "system_general_manager"),
        "manager": make_user("mgr-tanaka"),
        "user_dept": make_user("user-ueda"),
        "risk_dept": make_user("risk-mori"),
    }
    people["engine"] = System.objects.create(
        code="matching-engine",
        name_ja="マッチングエンジン",
        name_en="Matching engine",
        department=systems,
        system_manager=people["manager"],
        criticality=System.Criticality.HIGH,
    )
    return people


def _change(team: dict[str, object], **kwargs: object) -> Change:
    today = timezone.localdate()
    defaults: dict[str, object] = {
        "title": "Release 2026.12",
        "kind": Change.Kind.NORMAL,
        "category": Change.Category.CHANGE,
        "responsible": team["dev"],
        "systems": [team["engine"]],
        "planned": {"design": today - timedelta(days=5), "release": today + timedelta(days=10)},
    }
    defaults.update(kwargs)
    return changes.create(team["sgm"], **defaults)  # type: ignore[arg-type]


def _approve(change: Change, stage: str, team: dict[str, object], count: int = 1) -> None:
    asked = changes.request_approval(change, stage, team["dev"])  # type: ignore[arg-type]
    for who in ("sgm", "ciso")[:count]:
        approvals.decide(asked.approval_id, team[who], "approve", "ok")  # type: ignore[arg-type]


def _to_acceptance(change: Change, team: dict[str, object]) -> Change:
    _approve(change, "design", team)
    _approve(change, "build", team)
    for _stage in ("design", "build", "test", "acceptance"):
        change = changes.advance(change, team["dev"])  # type: ignore[arg-type]
    return change


def test_a_change_gets_the_next_reference_of_its_year_and_starts_at_plan(team) -> None:
    first, second = _change(team), _change(team)
    year = timezone.localdate().year
    assert (first.reference, second.reference) == (f"CHG-{year}-001", f"CHG-{year}-002")
    assert first.stage == Change.Stage.PLAN
    assert StagePlan.objects.filter(change=first).count() == len(changes.FLOW)


def test_a_normal_change_cannot_enter_design_without_the_approval_its_rule_asks_for(team) -> None:
    change = _change(team)
    with pytest.raises(changes.ChangeRefused) as refused:
        changes.advance(change, team["dev"])
    assert refused.value.code == "stage_blocked"
    assert [b.code for b in changes.approval_blockers(change)] == ["stage_approval_missing"] * 3
    _approve(change, "design", team)
    change = changes.advance(change, team["dev"])
    assert change.stage == Change.Stage.DESIGN


def test_the_responsible_person_cannot_approve_a_stage_of_their_own_change(team) -> None:
    """A system general manager responsible for a change cannot approve its stages, even when
    a colleague asked (review H3): the approval is about them."""
    change = _change(team, responsible=team["qa"])
    asked = changes.request_approval(change, "design", team["dev"])  # type: ignore[arg-type]
    with pytest.raises(approvals.ApprovalRefused) as refused:
        approvals.decide(asked.approval_id, team["qa"], "approve", "mine")  # type: ignore[arg-type]
    assert refused.value.code == "subject_approval"
    approvals.decide(asked.approval_id, team["sgm"], "approve", "ok")  # type: ignore[arg-type]
    assert changes.advance(change, team["qa"]).stage == Change.Stage.DESIGN  # type: ignore[arg-type]


def test_the_stage_rules_are_data_a_changed_rule_changes_what_is_asked(team) -> None:
    StageRule.objects.filter(kind="normal", stage="design").update(needs_approval=False)
    change = changes.advance(_change(team), team["dev"])
    assert change.stage == Change.Stage.DESIGN


def test_a_standard_change_is_pre_approved_except_its_release(team) -> None:
    change = _change(team, kind=Change.Kind.STANDARD)
    for _stage in ("design", "build", "test", "acceptance"):
        change = changes.advance(change, team["dev"])
    assert [b.code for b in changes.approval_blockers(change)] == ["stage_approval_missing"]
    changes.inspect(
        change, team["qa"], artifact_digest="sha256:aa", practical_tests="smoke", decision="go"
    )
    with pytest.raises(changes.ChangeRefused):
        changes.advance(change, team["dev"])
    _approve(change, "release", team)
    assert changes.approval_blockers(change) == []
    assert changes.advance(change, team["dev"]).stage == Change.Stage.RELEASE


def test_a_new_service_leaves_design_only_when_both_departments_signed(team) -> None:
    with pytest.raises(changes.ChangeRefused):
        _change(team, category=Change.Category.NEW_SERVICE)
    change = _change(
        team,
        category=Change.Category.NEW_SERVICE,
        user_participant=team["user_dept"],
        risk_participant=team["risk_dept"],
    )
    _approve(change, "design", team)
    _approve(change, "build", team)
    change = changes.advance(change, team["dev"])
    with pytest.raises(changes.ChangeRefused) as refused:
        changes.advance(change, team["dev"])
    assert "8-3" in refused.value.message
    codes = [b.code for b in changes.approval_blockers(change)]
    assert codes.count("participant_signature_missing") == 2
    with pytest.raises(changes.ChangeRefused):
        changes.sign_participation(change, team["dev"])
    changes.sign_participation(change, team["user_dept"])
    changes.sign_participation(change, team["risk_dept"])
    assert changes.advance(change, team["dev"]).stage == Change.Stage.BUILD


def test_the_acceptance_inspection_is_decided_by_someone_other_than_the_responsible(team) -> None:
    change = _to_acceptance(_change(team), team)
    with pytest.raises(changes.ChangeRefused) as refused:
        changes.inspect(
            change, team["dev"], artifact_digest="sha256:aa", practical_tests="t", decision="go"
        )
    assert refused.value.fields[0].field == "decided_by"
    changes.inspect(
        change, team["qa"], artifact_digest="sha256:aa", practical_tests="t", decision="no_go"
    )
    _approve(change, "release", team, count=2)
    with pytest.raises(changes.ChangeRefused) as refused:
        changes.advance(change, team["dev"])
    assert "SRM 20" in refused.value.message
    changes.inspect(
        change, team["qa"], artifact_digest="sha256:bb", practical_tests="t", decision="go"
    )
    assert changes.advance(change, team["dev"]).stage == Change.Stage.RELEASE


def test_progress_and_slippage_count_the_days_a_stage_is_late(team) -> None:
    change = _change(team)
    assert changes.slippage_days(change) == 5  # design was due five days ago
    rows = {r["stage"]: r for r in changes.progress(change)}
    assert rows["design"]["late_days"] == 5 and rows["release"]["late_days"] == 0


def test_an_emergency_change_released_first_and_approved_late_raises_one_finding(team) -> None:
    change = _change(team, kind=Change.Kind.EMERGENCY)
    change = changes.advance(change, team["dev"], to=Change.Stage.RELEASE)
    assert change.stage == Change.Stage.RELEASE
    assert changes.check_emergency_reviews() == 0  # still within 72 hours
    later = timezone.now() + timedelta(hours=73)
    assert changes.check_emergency_reviews(later) == 1
    assert changes.check_emergency_reviews(later) == 0  # raised once
    finding = ChangeFinding.objects.get()
    assert finding.kind == "emergency_review_late" and finding.change == change
    result = compliance_changes.changes_controlled()
    assert not result.passed and change.reference in result.summary_en


def test_an_emergency_change_at_release_is_inspected_after_the_fact(team) -> None:
    """An emergency change jumps to release; its acceptance inspection is recorded there, so
    the deploy gate can answer without an override (a normal change at release cannot)."""
    change = changes.advance(
        _change(team, kind=Change.Kind.EMERGENCY), team["dev"], to=Change.Stage.RELEASE
    )
    found = changes.inspect(
        change,
        team["qa"],
        artifact_digest="sha256:" + "e" * 64,
        practical_tests="smoke",
        decision="go",
    )
    assert found.decision == "go"
    normal = _to_acceptance(_change(team), team)
    changes.inspect(
        normal, team["qa"], artifact_digest="sha256:" + "f" * 64, practical_tests="x", decision="go"
    )
    _approve(normal, "release", team, count=2)
    normal = changes.advance(normal, team["dev"])
    assert normal.stage == Change.Stage.RELEASE
    with pytest.raises(changes.ChangeRefused):
        changes.inspect(
            normal,
            team["qa"],
            artifact_digest="sha256:" + "f" * 64,
            practical_tests="x",
            decision="go",
        )


def test_an_emergency_change_approved_in_time_raises_nothing(team) -> None:
    change = _change(team, kind=Change.Kind.EMERGENCY)
    change = changes.advance(change, team["dev"], to=Change.Stage.RELEASE)
    _approve(change, "design", team)
    _approve(change, "release", team, count=2)
    assert changes.check_emergency_reviews(timezone.now() + timedelta(hours=100)) == 0


def test_the_post_change_review_shows_incidents_on_the_system_and_is_signed_by_its_manager(
    team,
) -> None:
    change = _to_acceptance(_change(team), team)
    changes.inspect(
        change, team["qa"], artifact_digest="sha256:aa", practical_tests="t", decision="go"
    )
    _approve(change, "release", team, count=2)
    change = changes.advance(change, team["dev"])  # released: the review opens
    review = change.post_review
    change = changes.advance(change, team["dev"])  # review
    assert review.due_on == timezone.localdate(review.released_at) + timedelta(days=14)
    from mamori.operations.services import incidents

    hit = incidents.report("Matching slow", "matching-engine", team["sgm"])
    incidents.report("Website typo", "web", team["sgm"])
    assert [i.reference for i in change_reviews.incidents_since(change, review.released_at)] == [
        hit.reference
    ]
    with pytest.raises(changes.ChangeRefused):
        change_reviews.sign(review, team["sgm"], "fine")
    with pytest.raises(changes.ChangeRefused):
        changes.advance(change, team["dev"])  # closing needs the signed review
    review = change_reviews.sign(review, team["manager"], "One slow-down, fixed; quality kept.")
    assert review.completed_at is not None and review.incidents[0]["reference"] == hit.reference
    assert changes.advance(change, team["dev"]).stage == Change.Stage.CLOSED
    assert Incident.objects.count() == 2


def test_a_rejected_stage_approval_may_be_asked_for_again(team) -> None:
    change = _change(team)
    asked = changes.request_approval(change, "design", team["dev"])
    with pytest.raises(changes.ChangeRefused):
        changes.request_approval(change, "design", team["dev"])
    approvals.decide(asked.approval_id, team["sgm"], "reject", "not yet")
    changes.request_approval(change, "design", team["dev"])


def test_a_change_not_yet_released_is_cancelled_with_its_reason_and_no_longer_moves(team) -> None:
    change = _change(team)
    with pytest.raises(changes.ChangeRefused) as silent:
        changes.cancel(change, team["dev"], "  ")  # type: ignore[arg-type]
    assert silent.value.code == "reason_required"
    change = changes.cancel(change, team["dev"], "superseded by CHG-2026-014")  # type: ignore[arg-type]
    change.refresh_from_db()
    assert change.stage == "cancelled" and change.cancelled_by == team["dev"]
    assert change.cancelled_reason == "superseded by CHG-2026-014" and change.cancelled_at
    with pytest.raises(changes.ChangeRefused) as moved:
        changes.advance(change, team["dev"])  # type: ignore[arg-type]
    assert moved.value.code == "finished"
    with pytest.raises(changes.ChangeRefused) as again:
        changes.cancel(change, team["dev"], "twice")  # type: ignore[arg-type]
    assert again.value.code == "not_cancellable"


def test_a_released_change_is_reviewed_not_cancelled(team) -> None:
    change = _change(team, kind=Change.Kind.EMERGENCY)
    change = changes.advance(change, team["dev"], to=Change.Stage.RELEASE)  # type: ignore[arg-type]
    with pytest.raises(changes.ChangeRefused) as refused:
        changes.cancel(change, team["sgm"], "rolled back")  # type: ignore[arg-type]
    assert refused.value.code == "not_cancellable" and "SRM 22" in refused.value.shown()
    change.refresh_from_db()
    assert change.stage == "release"


def test_the_change_page_cancels_and_says_who_and_why(team) -> None:
    from tests.conftest import client_for

    change = _change(team)
    dev = client_for(team["dev"])
    url = f"/operations/changes/{change.reference}/"
    assert 'id="cancel-change"' in dev.get(url).content.decode()
    refused = dev.post(url + "cancel/", {"reason": ""}, follow=True).content.decode()
    assert "変更を中止する理由を記入してください。" in refused  # the reader's language: ja
    dev.post(url + "cancel/", {"reason": "the vendor withdrew the library"})
    page = dev.get(url).content.decode()
    assert 'id="cancelled"' in page and "the vendor withdrew the library" in page
    assert 'id="cancel-change"' not in page and 'id="advance"' not in page
    emergency = _change(team, kind=Change.Kind.EMERGENCY)
    changes.cancel(emergency, team["dev"], "the incident closed itself")  # type: ignore[arg-type]
    gone = dev.get(f"/operations/changes/{emergency.reference}/").content.decode()
    assert 'id="emergency-release"' not in gone  # nothing of a cancelled change is released


def test_only_the_responsible_person_or_a_systems_manager_cancels_a_change(team) -> None:
    change = _change(team)
    other = give(make_user("dev-other"), "developer")
    with pytest.raises(changes.ChangeRefused) as refused:
        changes.cancel(change, other, "not mine")  # type: ignore[arg-type]
    assert refused.value.code == "not_yours" and refused.value.status == 403
    manager = give(team["manager"], "dept_system_manager")
    assert changes.cancel(change, manager, "budget withdrawn").stage == "cancelled"  # type: ignore[arg-type]


def test_cancelling_withdraws_the_approvals_still_waiting_and_tells_who_asked(team) -> None:
    from mamori.accounts.models import ApprovalRequest

    change = _change(team)
    asked = changes.request_approval(change, "design", team["dev"])  # type: ignore[arg-type]
    changes.cancel(change, team["dev"], "superseded")  # type: ignore[arg-type]
    request = ApprovalRequest.objects.get(pk=asked.approval_id)
    assert request.status == "withdrawn" and request.closed_at is not None
    with pytest.raises(approvals.ApprovalRefused):  # no one can approve it any more
        approvals.decide(request.pk, team["sgm"], "approve", "late")
    assert request not in approvals.waiting_for(team["sgm"])  # type: ignore[arg-type]


def test_a_change_that_had_a_go_is_reviewed_not_cancelled_and_gets_no_override(ready) -> None:
    from mamori.operations.services import gate
    from tests.operations.gate_world import A

    change = ready["change"]
    Change.objects.filter(pk=change.pk).update(stage="acceptance")  # go, not yet released
    change.refresh_from_db()
    assert gate.decide(change, A, None).outcome == "go"
    with pytest.raises(changes.ChangeRefused) as refused:
        changes.cancel(change, change.responsible, "never mind")
    assert refused.value.code == "gate_passed"
    change.refresh_from_db()
    assert change.stage != "cancelled"
    Change.objects.filter(pk=change.pk).update(stage="cancelled")  # cancelled some other way
    change.refresh_from_db()
    with pytest.raises(gate.GateRefused) as override:
        gate.request_override(change, A, "ship it", ready["people"]["sgm"])
    assert override.value.code == "change_finished"
