"""Compliance status from controls and sub-requirements, and manual decisions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mamori.engines.rulebook.status import (
    COMPLIANT,
    NON_COMPLIANT,
    NOT_APPLICABLE,
    PARTIAL,
    ControlState,
    Status,
    known_by,
    requirement_status,
)

OK = ControlState("C1", True)
FAILED = ControlState("C2", False, "C2: 未実行", "C2: never ran")
EXPIRED = ControlState("C3", False, "C3: 期限切れ", "C3: evidence expired on 2026-01-01")


def test_all_controls_holding_is_compliant_and_gives_no_reason() -> None:
    status = requirement_status([OK, OK], [])
    assert (status.value, status.reasons) == (COMPLIANT, ())


def test_a_failed_control_among_holding_ones_is_partial_and_says_which() -> None:
    status = requirement_status([OK, EXPIRED], [])
    assert status.value == PARTIAL
    assert status.reasons == (("C3: 期限切れ", "C3: evidence expired on 2026-01-01"),)


def test_no_control_at_all_is_non_compliant_with_the_reason() -> None:
    status = requirement_status([], [])
    assert status.value == NON_COMPLIANT
    assert status.reasons[0][1] == "no control is assigned"


def test_items_roll_up_into_their_paragraph_and_not_applicable_items_are_left_out() -> None:
    items = [Status(COMPLIANT), Status(NOT_APPLICABLE), Status(NON_COMPLIANT, (("x", "y"),))]
    status = requirement_status([], items)
    assert status.value == PARTIAL and ("x", "y") in status.reasons
    assert requirement_status([], [Status(NOT_APPLICABLE)]).value == NOT_APPLICABLE


def test_an_approved_decision_overrides_the_controls() -> None:
    decided = Status(NOT_APPLICABLE, (("予定なし", "none planned"),))
    status = requirement_status([FAILED], [], decided)
    assert status.value == NOT_APPLICABLE and status.overridden


@given(
    st.lists(st.booleans(), max_size=6),
    st.lists(st.sampled_from([COMPLIANT, PARTIAL, NON_COMPLIANT, NOT_APPLICABLE]), max_size=6),
)
def test_status_matches_a_brute_force_reading_of_the_rule(
    controls: list[bool], children: list[str]
) -> None:
    states = [OK if ok else FAILED for ok in controls]
    status = requirement_status(states, [Status(c) for c in children])
    parts = [COMPLIANT if ok else NON_COMPLIANT for ok in controls] + children
    assessed = [p for p in parts if p != NOT_APPLICABLE]
    if not parts:
        expected = NON_COMPLIANT
    elif not assessed:
        expected = NOT_APPLICABLE
    elif set(assessed) == {COMPLIANT}:
        expected = COMPLIANT
    elif set(assessed) == {NON_COMPLIANT}:
        expected = NON_COMPLIANT
    else:
        expected = PARTIAL
    assert status.value == expected
    assert (status.value == COMPLIANT) == (not status.reasons and expected == COMPLIANT)


MINE = ControlState("SCH-01", True, kind="self")
DOC = ControlState("DOC-1", True, kind="document")
FLOW = ControlState("W-1", True, kind="workflow")


def test_a_passing_check_of_mamori_itself_never_makes_a_requirement_compliant() -> None:
    status = requirement_status([MINE], [])
    assert status.value == NON_COMPLIANT
    assert status.reasons[0][1] == "no control is assigned"
    assert known_by(status) == "none"


def test_a_failing_check_of_mamori_itself_does_not_count_against_a_requirement() -> None:
    broken = ControlState("NTF-01", False, "x", "alerts unacknowledged", kind="self")
    status = requirement_status([DOC, broken], [])
    assert status.value == COMPLIANT and status.kinds == ("document",)


def test_a_requirement_met_only_by_documents_says_so() -> None:
    status = requirement_status([DOC], [])
    assert status.only_documents and known_by(status) == "document_only"
    assert not requirement_status([DOC, OK], []).only_documents


def test_a_requirement_is_known_by_the_strongest_kind_of_its_own_controls() -> None:
    assert known_by(requirement_status([DOC, FLOW], [])) == "workflow"
    assert known_by(requirement_status([DOC, FLOW, OK], [])) == "measured"


def test_a_paragraph_is_known_only_as_strongly_as_its_weakest_item() -> None:
    items = [requirement_status([OK], []), requirement_status([DOC], [])]
    paragraph = requirement_status([], items)
    assert paragraph.value == COMPLIANT and known_by(paragraph) == "document_only"
    assert paragraph.kinds == ("measured", "document")


def test_an_unmet_requirement_is_known_by_nothing_and_a_decision_is_its_own_basis() -> None:
    assert known_by(requirement_status([OK, FAILED], [])) == "none"
    decided = requirement_status([FAILED], [], Status(COMPLIANT, (("理由", "why"),)))
    assert known_by(decided) == "decided"
    excused = requirement_status([FAILED], [], Status(NOT_APPLICABLE, (("理由", "why"),)))
    assert known_by(excused) == "not_applicable"
