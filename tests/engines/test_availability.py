"""The availability engine (SRM 21-1): seconds per state and availability over a range, checked
on known periods and against a per-second oracle."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.engines.availability import STATES, Period, measure

DAY = 86_400


def test_a_day_with_an_hour_down_is_available_23_hours_of_24() -> None:
    result = measure(
        [Period(0, 3_600 * 10, "up"), Period(36_000, 39_600, "down"), Period(39_600, None, "up")],
        0,
        DAY,
    )
    assert result.seconds == {"up": 82_800, "degraded": 0, "down": 3_600, "unknown": 0}
    assert result.percent == Decimal("95.833")
    assert result.meets(Decimal("99.9")) is False


def test_degraded_counts_as_available_but_is_reported() -> None:
    result = measure([Period(0, 1_000, "up"), Period(1_000, 2_000, "degraded")], 0, 2_000)
    assert result.percent == Decimal("100.000")
    assert result.seconds["degraded"] == 1_000


def test_unknown_and_uncovered_seconds_are_reported_apart_and_not_counted() -> None:
    result = measure(
        [Period(0, 500, "up"), Period(500, 600, "unknown"), Period(900, 1000, "down")], 0, 1_000
    )
    assert result.seconds == {"up": 500, "degraded": 0, "down": 100, "unknown": 400}
    assert result.percent == Decimal("83.333")


def test_nothing_observed_is_not_measured_rather_than_a_hundred_percent() -> None:
    result = measure([], 0, DAY)
    assert result.percent is None
    assert result.meets(Decimal("99")) is None
    assert result.seconds["unknown"] == DAY


def test_an_unknown_state_or_a_backwards_range_is_refused() -> None:
    with pytest.raises(ValueError, match="expected a state"):
        measure([Period(0, 1, "sideways")], 0, 1)
    with pytest.raises(ValueError, match="end >= start"):
        measure([], 10, 0)


def _oracle(periods: list[Period], start: int, end: int) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    ranked = sorted(enumerate(periods), key=lambda item: (item[1].start, item[0]))
    for second in range(start, end):
        state = "unknown"
        for _index, period in ranked:  # the later-started period wins
            if period.start <= second and (period.end is None or second < period.end):
                state = period.state
        counts[state] += 1
    return counts


periods = st.lists(
    st.builds(
        lambda start, length, state: Period(
            start, None if length is None else start + length, state
        ),
        st.integers(0, 300),
        st.one_of(st.none(), st.integers(0, 200)),
        st.sampled_from(STATES),
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(periods, st.integers(0, 250), st.integers(0, 250))
def test_seconds_per_state_match_a_per_second_count(
    found: list[Period], start: int, length: int
) -> None:
    result = measure(found, start, start + length)
    expected = _oracle(found, start, start + length)
    assert result.seconds == expected
    known = expected["up"] + expected["degraded"] + expected["down"]
    if known:
        assert result.percent == (
            Decimal(expected["up"] + expected["degraded"]) * 100 / known
        ).quantize(Decimal("0.001"))
    else:
        assert result.percent is None
