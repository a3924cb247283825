"""The approval engine: quorums of distinct people, no self-approval, order, expiry."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.engines.approvals import (
    Decision,
    Policy,
    PolicyError,
    Stage,
    Status,
    Verdict,
    evaluate,
    refusal_for,
    stage_for,
)

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)

COMMITTEE_THEN_BOARD = Policy(
    "plan",
    (
        Stage("committee", frozenset({"ciso", "system_general_manager"}), 2),
        Stage("board", frozenset({"board_member"}), 2),
    ),
    ordered=True,
    lifetime=7 * DAY,
)
TWO_OF_THREE = Policy(
    "halt-lift", (Stage("officers", frozenset({"ciso", "custody_operator"}), 2),), False, DAY
)


def decide(
    policy: Policy,
    decisions: list[Decision],
    who: str,
    roles: set[str],
    verdict: Verdict = Verdict.APPROVE,
    requester: str = "req",
    now: datetime = T0,
) -> str | None:
    held = frozenset(roles)
    refusal = refusal_for(policy, requester, decisions, who, held, verdict, T0, now)
    if refusal:
        return refusal.code
    stage = stage_for(policy, decisions, held) if policy.ordered else None
    if verdict is Verdict.REJECT:
        stage = None
    decisions.append(Decision(who, verdict, now, held, stage))
    return None


def test_two_distinct_people_approve() -> None:
    decisions: list[Decision] = []
    assert decide(TWO_OF_THREE, decisions, "a", {"ciso"}) is None
    assert evaluate(TWO_OF_THREE, decisions, T0, T0).status is Status.PENDING
    assert decide(TWO_OF_THREE, decisions, "b", {"custody_operator"}) is None
    assert evaluate(TWO_OF_THREE, decisions, T0, T0).status is Status.APPROVED


def test_the_requester_never_decides_their_own_request() -> None:
    decisions: list[Decision] = []
    assert decide(TWO_OF_THREE, decisions, "req", {"ciso"}) == "self_approval"
    assert decide(TWO_OF_THREE, decisions, "req", {"ciso"}, Verdict.REJECT) == "self_approval"
    assert decisions == []


def test_one_person_counts_once_whatever_roles_they_hold() -> None:
    decisions: list[Decision] = []
    assert decide(TWO_OF_THREE, decisions, "a", {"ciso", "custody_operator"}) is None
    assert decide(TWO_OF_THREE, decisions, "a", {"ciso", "custody_operator"}) == "already_decided"
    assert evaluate(TWO_OF_THREE, decisions, T0, T0).status is Status.PENDING


def test_someone_without_the_role_cannot_approve_or_reject() -> None:
    decisions: list[Decision] = []
    assert decide(TWO_OF_THREE, decisions, "d", {"developer"}) == "role_missing"
    assert decide(TWO_OF_THREE, decisions, "d", {"developer"}, Verdict.REJECT) == "role_missing"


def test_the_board_waits_for_the_committee() -> None:
    decisions: list[Decision] = []
    assert decide(COMMITTEE_THEN_BOARD, decisions, "b1", {"board_member"}) == "out_of_order"
    assert decide(COMMITTEE_THEN_BOARD, decisions, "c1", {"ciso"}) is None
    assert decide(COMMITTEE_THEN_BOARD, decisions, "c2", {"system_general_manager"}) is None
    outcome = evaluate(COMMITTEE_THEN_BOARD, decisions, T0, T0)
    assert outcome.open_stage == 1 and outcome.approvals_per_stage == (2, 0)
    assert decide(COMMITTEE_THEN_BOARD, decisions, "b1", {"board_member"}) is None
    assert decide(COMMITTEE_THEN_BOARD, decisions, "b2", {"board_member"}) is None
    assert evaluate(COMMITTEE_THEN_BOARD, decisions, T0, T0).status is Status.APPROVED


def test_a_rejected_request_cannot_be_revived() -> None:
    decisions: list[Decision] = []
    assert decide(TWO_OF_THREE, decisions, "a", {"ciso"}, Verdict.REJECT) is None
    assert evaluate(TWO_OF_THREE, decisions, T0, T0).status is Status.REJECTED
    assert decide(TWO_OF_THREE, decisions, "b", {"ciso"}) == "closed"


def test_an_expired_request_takes_no_decision() -> None:
    decisions: list[Decision] = []
    assert decide(TWO_OF_THREE, decisions, "a", {"ciso"}) is None
    late = T0 + DAY
    assert evaluate(TWO_OF_THREE, decisions, T0, late).status is Status.EXPIRED
    assert decide(TWO_OF_THREE, decisions, "b", {"ciso"}, now=late) == "closed"
    just_before = T0 + DAY - timedelta(microseconds=1)
    assert decide(TWO_OF_THREE, decisions, "b", {"ciso"}, now=just_before) is None


def test_unordered_stages_are_matched_so_a_useful_approver_is_not_refused() -> None:
    policy = Policy(
        "mixed",
        (Stage("a", frozenset({"x", "y"}), 1), Stage("b", frozenset({"x"}), 1)),
        False,
        DAY,
    )
    decisions: list[Decision] = []
    assert decide(policy, decisions, "p1", {"x", "y"}) is None
    assert decide(policy, decisions, "p2", {"y"}) is None  # p1 moves to stage b
    assert evaluate(policy, decisions, T0, T0).status is Status.APPROVED


@pytest.mark.parametrize(
    "bad",
    [
        lambda: Policy("empty", (), False, DAY),
        lambda: Stage("s", frozenset(), 1),
        lambda: Stage("s", frozenset({"x"}), 0),
        lambda: Policy("p", (Stage("s", frozenset({"x"}), 1),), False, timedelta(0)),
        lambda: Policy.from_data({"code": "p", "stages": "nope"}),
    ],
)
def test_malformed_policies_are_refused(bad) -> None:
    with pytest.raises(PolicyError):
        bad()


def test_policies_survive_a_round_trip_through_data() -> None:
    assert Policy.from_data(COMMITTEE_THEN_BOARD.to_data()) == COMMITTEE_THEN_BOARD


ROLES = ["r1", "r2", "r3"]
role_sets = st.frozensets(st.sampled_from(ROLES), max_size=3)
stages = st.lists(
    st.builds(Stage, st.sampled_from(["s"]), role_sets.filter(bool), st.integers(1, 2)),
    min_size=1,
    max_size=3,
).map(lambda ss: tuple(Stage(f"s{i}", s.roles, s.required) for i, s in enumerate(ss)))


def oracle_full(policy: Policy, approvers: list[frozenset[str]]) -> bool:
    """Brute force: can the approvers fill every seat, each person in one seat they qualify for?"""
    seats = [i for i, stage in enumerate(policy.stages) for _ in range(stage.required)]
    if len(approvers) < len(seats):
        return False
    for chosen in itertools.permutations(range(len(approvers)), len(seats)):
        if all(approvers[p] & policy.stages[seats[k]].roles for k, p in enumerate(chosen)):
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(
    stage_list=stages,
    attempts=st.lists(st.tuples(st.integers(0, 5), role_sets), max_size=8),
)
def test_unordered_approval_matches_the_brute_force_oracle(stage_list, attempts) -> None:
    policy = Policy("p", stage_list, False, DAY)
    decisions: list[Decision] = []
    for person, roles in attempts:
        decide(policy, decisions, f"p{person}", set(roles))
    approvers = [d.roles for d in decisions]
    assert len({d.approver for d in decisions}) == len(decisions)  # distinct people
    assert all(d.approver != "req" for d in decisions)
    status = evaluate(policy, decisions, T0, T0).status
    assert (status is Status.APPROVED) == oracle_full(policy, approvers)
    # every accepted approval filled one more seat than there was before it
    filled = [
        sum(evaluate(policy, decisions[:i], T0, T0).approvals_per_stage)
        for i in range(len(decisions) + 1)
    ]
    assert filled == list(range(len(decisions) + 1))


@settings(max_examples=300, deadline=None)
@given(stage_list=stages, attempts=st.lists(st.tuples(st.integers(0, 5), role_sets), max_size=8))
def test_ordered_approvals_fill_stages_strictly_in_order(stage_list, attempts) -> None:
    policy = Policy("p", stage_list, True, DAY)
    decisions: list[Decision] = []
    for person, roles in attempts:
        decide(policy, decisions, f"p{person}", set(roles))
    filled = [0] * len(policy.stages)
    for decision in decisions:
        stage = decision.stage
        assert stage is not None
        assert all(filled[i] >= policy.stages[i].required for i in range(stage))
        assert decision.roles & policy.stages[stage].roles
        filled[stage] += 1
    assert all(f <= s.required for f, s in zip(filled, policy.stages, strict=True))
