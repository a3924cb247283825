"""The rules of change control change only with two officers' approval (SRM 11-3, 17, 22): a
manager proposes what entering a stage needs, or the time limits after a release; nothing
changes until two officers other than the proposer approve, and then changes do."""

from __future__ import annotations

import pytest

from mamori.accounts.models import ApprovalRequest
from mamori.accounts.services import approvals
from mamori.operations.models import Change, StageRule
from mamori.operations.services import change_rules, changes, operations_settings
from tests.conftest import client_for, give, make_user
from tests.operations.test_changes import _change, team  # noqa: F401 - team: the fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("team")]

URL = "/operations/change-rules/"


def _propose_limits(hours: int, days: int, by):
    """The time limits after a release, proposed as the operations setting they are."""
    values = {"emergency_review_hours": hours, "review_within_days": days}
    return operations_settings.propose("changes", values, by)


def _officers_approve(request_id: int) -> None:
    for who, role in (("ciso-2", "ciso"), ("board-1", "board_member")):
        approvals.decide(request_id, give(make_user(who), role), "approve", "agreed")


def test_a_new_stage_rule_holds_changes_only_once_two_officers_approved(team) -> None:  # noqa: F811
    manager = give(team["manager"], "dept_system_manager")
    asked = change_rules.propose_rule("normal", "test", True, "change_stage", False, manager)
    assert changes.rule_for("normal", "test") is None  # proposed is not in force
    with pytest.raises(approvals.ApprovalRefused):
        approvals.decide(asked.pk, manager, "approve", "mine")
    approvals.decide(asked.pk, give(make_user("ciso-2"), "ciso"), "approve", "agreed")
    assert changes.rule_for("normal", "test") is None  # one officer is not two
    approvals.decide(asked.pk, give(make_user("board-1"), "board_member"), "approve", "ok")
    assert changes.rule_for("normal", "test").policy == "change_stage"
    change = _change(team)
    assert "test" in changes.missing_approvals(change, upto=Change.Stage.TEST)


def test_a_proposal_that_changes_nothing_repeats_one_waiting_or_names_no_policy_is_refused(
    team,  # noqa: F811
) -> None:
    manager = give(team["manager"], "dept_system_manager")
    with pytest.raises(change_rules.RuleRefused) as same:
        change_rules.propose_rule("normal", "design", True, "change_stage", False, manager)
    assert same.value.code == "nothing_changes"
    with pytest.raises(change_rules.RuleRefused) as unknown:
        change_rules.propose_rule("normal", "design", True, "nobody_decides", False, manager)
    assert unknown.value.code == "unknown_policy"
    with pytest.raises(change_rules.RuleRefused) as planning:
        change_rules.propose_rule("normal", "plan", True, "change_stage", False, manager)
    assert planning.value.code == "bad_rule"
    # loosening is proposed like tightening: the design approval of a normal change dropped
    change_rules.propose_rule("normal", "design", False, "", False, manager)
    with pytest.raises(change_rules.RuleRefused) as twice:
        change_rules.propose_rule("normal", "design", False, "", False, manager)
    assert twice.value.code == "already_pending"
    assert StageRule.objects.get(kind="normal", stage="design").needs_approval


def test_time_limits_change_once_approved_and_stay_within_bounds(team) -> None:  # noqa: F811
    manager = give(team["manager"], "dept_system_manager")
    with pytest.raises(operations_settings.SettingRefused) as bounds:
        _propose_limits(0, 400, manager)
    assert bounds.value.code == "bad_setting"
    assert {p.field for p in bounds.value.fields} == {
        "emergency_review_hours",
        "review_within_days",
    }
    asked = _propose_limits(240, 30, manager)
    assert changes.setting().emergency_review_hours == 72
    _officers_approve(asked.pk)
    limits = changes.setting()
    assert (limits.emergency_review_hours, limits.review_within_days) == (240, 30)


def test_the_page_shows_the_rules_and_only_managers_propose(team) -> None:  # noqa: F811
    developer = client_for(team["dev"])
    page = developer.get(URL).content.decode()
    assert 'data-kind="normal" data-stage="release"' in page and "change_release" in page
    assert 'id="rule-form"' not in page
    refused = developer.post(URL, {"which": "limits", "limits-emergency_review_hours": "1"})
    assert refused.status_code == 403
    manager = client_for(give(team["manager"], "dept_system_manager"))
    missing = manager.post(
        URL,
        {
            "which": "rule",
            "rule-kind": "standard",
            "rule-stage": "test",
            "rule-needs_approval": "on",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert missing.status_code == 200 and "Choose the policy" in missing.content.decode()
    proposed = manager.post(
        URL,
        {
            "which": "rule",
            "rule-kind": "standard",
            "rule-stage": "test",
            "rule-needs_approval": "on",
            "rule-policy": "change_stage",
        },
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    text = proposed.content.decode()
    assert "takes effect once two officers approve" in text and 'id="pending-rules"' in text
    assert ApprovalRequest.objects.get(kind=change_rules.KIND).snapshot["stage"] == "test"
    assert changes.rule_for("standard", "test") is None
    limits = manager.post(
        URL,
        {
            "which": "limits",
            "limits-emergency_review_hours": "48",
            "limits-review_within_days": "7",
        },
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Time limits after a release" in limits.content.decode().split('id="pending-rules"')[1]
    assert changes.setting().emergency_review_hours == 72  # proposed, not in force


def test_after_the_fact_approval_is_for_emergency_changes_only(team) -> None:  # noqa: F811
    manager = give(team["manager"], "dept_system_manager")
    with pytest.raises(change_rules.RuleRefused) as refused:  # it would drop the approval
        change_rules.propose_rule("normal", "design", True, "change_stage", True, manager)
    assert refused.value.code == "after_the_fact_emergency_only"
    asked = change_rules.propose_rule("emergency", "build", True, "change_stage", True, manager)
    assert asked.snapshot["rule"]["after_the_fact"] is True


def test_an_altered_or_stale_proposal_is_not_applied(team) -> None:  # noqa: F811
    manager = give(team["manager"], "dept_system_manager")
    altered = change_rules.propose_rule("normal", "test", True, "change_stage", False, manager)
    approvals.decide(altered.pk, give(make_user("ciso-2"), "ciso"), "approve", "agreed")
    ApprovalRequest.objects.filter(pk=altered.pk).update(
        snapshot={**altered.snapshot, "rule": {**altered.snapshot["rule"], "policy": "x"}}
    )
    with pytest.raises(approvals.SnapshotMismatch):
        approvals.decide(altered.pk, give(make_user("board-1"), "board_member"), "approve", "ok")
    assert changes.rule_for("normal", "test") is None
    stale = _propose_limits(240, 30, manager)
    limits = changes.setting()
    limits.review_within_days = 20  # changed meanwhile (by a migration, say)
    limits.save()
    approvals.decide(stale.pk, give(make_user("ciso-3"), "ciso"), "approve", "agreed")
    with pytest.raises(operations_settings.SettingRefused) as refused:
        approvals.decide(stale.pk, give(make_user("board-2"), "board_member"), "approve", "ok")
    assert refused.value.code == "stale"
    assert changes.setting().emergency_review_hours == 72


def test_the_approval_page_says_a_stale_proposal_is_refused(team) -> None:  # noqa: F811
    manager = give(team["manager"], "dept_system_manager")
    stale = _propose_limits(240, 30, manager)
    approvals.decide(stale.pk, give(make_user("ciso-3"), "ciso"), "approve", "agreed")
    limits = changes.setting()
    limits.review_within_days = 20
    limits.save()
    officer = client_for(give(make_user("board-2"), "board_member"))
    answer = officer.post(
        f"/accounts/approvals/{stale.pk}/",
        {"verdict": "approve", "reason": "ok"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 200 and "Propose it again" in answer.content.decode()
    assert ApprovalRequest.objects.get(pk=stale.pk).status == "pending"
