"""Risk criteria and register arithmetic: matrices checked whole, ratings on the scales,
ranking against a brute-force order, heat maps, treatment rules (ISM 13, 15–17, 12-3)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.engines.risk import (
    Matrix,
    MatrixError,
    Option,
    Rating,
    RatingError,
    changed_cells,
    default_matrix_data,
    heat_map,
    raised,
    rank,
    treatment_problem,
)

MATRIX = Matrix.from_data(default_matrix_data())
ratings = st.builds(Rating, st.integers(1, 5), st.integers(1, 5))


def test_the_default_matrix_reads_levels_and_knows_its_acceptance_level() -> None:
    assert MATRIX.level(1, 1).code == "low" and MATRIX.level(5, 5).code == "critical"
    assert MATRIX.level(3, 4).label_ja == "高" and MATRIX.acceptance_level.code == "medium"
    assert MATRIX.acceptable(2, 4) and not MATRIX.acceptable(4, 4)
    assert Matrix.from_data(MATRIX.to_data()) == MATRIX


@pytest.mark.parametrize(
    ("likelihood", "impact", "message"),
    [
        (6, 1, "likelihood 6 is outside the scale 1–5"),
        (0, 1, "likelihood 0 is outside the scale 1–5"),
        (1, 9, "impact 9 is outside the scale 1–5"),
        ("3", 1, "likelihood '3' is outside the scale 1–5"),
    ],
)
def test_a_rating_off_the_scales_is_refused_with_the_scale(likelihood, impact, message) -> None:
    with pytest.raises(RatingError, match=message):
        MATRIX.level(likelihood, impact)


def broken(change) -> list[str]:
    data = copy.deepcopy(default_matrix_data())
    change(data)
    with pytest.raises(MatrixError) as refused:
        Matrix.from_data(data)
    return refused.value.problems


def test_every_problem_of_a_matrix_is_named() -> None:
    def many(data):
        data["grid"][2][2] = "huge"
        data["levels"][0]["colour"] = "green"
        data["levels"][1]["label_en"] = ""
        data["acceptance"] = "none"

    assert broken(many) == [
        "risk level low: colour 'green' is not #rrggbb",
        "risk level medium needs a label in Japanese and English",
        "grid cell likelihood 3 × impact 3: unknown level 'huge'",
        "the acceptance level 'none' is not one of the levels",
    ]


def test_a_grid_where_a_likelier_or_larger_risk_is_lower_is_refused() -> None:
    def lower(data):
        data["grid"][4][4] = "low"

    problems = broken(lower)
    assert "grid cell likelihood 5 × impact 5 is lower than the cell below it" in problems[0]
    assert any("lower than the cell to its left" in p for p in problems)


def test_scales_and_grid_must_agree_in_size() -> None:
    assert broken(lambda d: d["likelihood"].pop()) == [
        "the grid needs one row per likelihood step (4)"
    ]
    assert broken(lambda d: d["grid"][0].pop()) == [
        "grid row for likelihood 1 needs one level per impact step (5)"
    ]
    assert "impact step 2 must have the value 2" in broken(lambda d: d["impact"][1].update(value=7))
    assert "risk level 'low' appears twice" in broken(lambda d: d["levels"][1].update(code="low"))


def test_changed_cells_name_each_cell_whose_level_moved() -> None:
    data = default_matrix_data()
    data["grid"][0][4] = "critical"
    data["grid"][1][4] = "critical"
    data["grid"][2][4] = "critical"
    data["grid"][3][4] = "critical"
    assert changed_cells(MATRIX, Matrix.from_data(data)) == [
        (1, 5, "high", "critical"),
        (2, 5, "high", "critical"),
        (3, 5, "high", "critical"),
    ]


def higher(a: Rating, b: Rating) -> bool:
    """Brute force: is risk a to be treated before b?"""
    la, lb = a.level(MATRIX).rank, b.level(MATRIX).rank
    if la != lb:
        return la > lb
    pa, pb = a.likelihood * a.impact, b.likelihood * b.impact
    if pa != pb:
        return pa > pb
    if a.impact != b.impact:
        return a.impact > b.impact
    return a.likelihood > b.likelihood


@settings(max_examples=300, deadline=None)
@given(st.lists(ratings, max_size=40))
def test_priorities_follow_the_brute_force_order(items) -> None:
    ranked = rank(MATRIX, list(enumerate(items)))
    assert sorted(r.key for r in ranked) == list(range(len(items)))
    for r in ranked:
        assert r.priority == 1 + sum(higher(other, r.rating) for other in items)
        assert r.within_acceptance == MATRIX.acceptable(r.rating.likelihood, r.rating.impact)


@settings(max_examples=200, deadline=None)
@given(st.lists(ratings, max_size=60))
def test_heat_map_counts_every_risk_in_its_cell(items) -> None:
    counts = heat_map(MATRIX, items)
    for likelihood in range(1, 6):
        for impact in range(1, 6):
            expected = sum(1 for r in items if (r.likelihood, r.impact) == (likelihood, impact))
            assert counts[likelihood - 1][impact - 1] == expected


def test_a_signal_raises_the_likelihood_up_to_the_top_of_the_scale() -> None:
    assert raised(MATRIX, Rating(2, 4)) == Rating(3, 4)
    assert raised(MATRIX, Rating(5, 4), steps=2) == Rating(5, 4)


def test_a_risk_above_the_acceptance_level_cannot_be_accepted_untreated() -> None:
    problem = treatment_problem(MATRIX, Option.ACCEPT, Rating(4, 5), Rating(4, 5))
    assert problem and "above the acceptance level medium" in problem
    assert treatment_problem(MATRIX, Option.ACCEPT, Rating(2, 2), Rating(2, 2)) is None
    assert "must equal the current" in treatment_problem(
        MATRIX, Option.ACCEPT, Rating(2, 2), Rating(1, 2)
    )


def test_a_treatment_must_bring_the_residual_risk_within_the_acceptance_level() -> None:
    problem = treatment_problem(MATRIX, Option.REDUCE, Rating(5, 5), Rating(4, 4))
    assert problem and "would still be high, above the acceptance level medium" in problem
    assert treatment_problem(MATRIX, Option.REDUCE, Rating(5, 5), Rating(2, 3)) is None
    assert treatment_problem(MATRIX, Option.SHARE, Rating(3, 5), Rating(3, 2)) is None
    assert "likelier or larger" in treatment_problem(
        MATRIX, Option.AVOID, Rating(3, 2), Rating(1, 3)
    )
