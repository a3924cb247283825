"""The clock engine of reporting obligations against a brute-force day-by-day oracle, and its
fixed points (Japanese holidays, the year-end closure, escalation points)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.engines.incidents import clocks
from mamori.engines.incidents.clocks import TOKYO, DueRule


def _oracle(detected: datetime, rule: DueRule) -> datetime:
    """Walk the days one by one: the obvious reading of each rule."""
    local = detected.astimezone(TOKYO)
    if rule.unit == "hours":
        return detected + timedelta(hours=rule.amount)
    days = [local.date() + timedelta(days=i) for i in range(1, 400)]
    if rule.unit == "calendar_days":
        last = days[rule.amount - 1] if rule.amount else local.date()
        if rule.roll:
            last = next(d for d in [last, *days] if d >= last and clocks.japanese_business_day(d))
    else:
        business = [d for d in days if clocks.japanese_business_day(d)]
        if rule.amount:
            last = business[rule.amount - 1]
        else:  # the day of detection if it is a business day, else the next one
            last = next(d for d in [local.date(), *days] if clocks.japanese_business_day(d))
    return datetime.combine(last, time(23, 59, 59), tzinfo=TOKYO)


@settings(max_examples=300, deadline=None)
@given(
    detected=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    unit=st.sampled_from(clocks.UNITS),
    amount=st.integers(min_value=0, max_value=70),
    roll=st.booleans(),
)
def test_the_due_time_matches_a_day_by_day_walk(
    detected: datetime, unit: str, amount: int, roll: bool
) -> None:
    rule = DueRule(unit, amount, roll)
    assert clocks.due_at(detected, rule) == _oracle(detected, rule)


@settings(max_examples=200, deadline=None)
@given(
    detected=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    hours=st.integers(min_value=1, max_value=2000),
    minutes=st.integers(min_value=0, max_value=200_000),
)
def test_escalation_points_come_in_order_and_only_once_passed(
    detected: datetime, hours: int, minutes: int
) -> None:
    due = detected + timedelta(hours=hours)
    times = clocks.threshold_times(detected, due)
    assert list(times.values()) == sorted(times.values())
    now = detected + timedelta(minutes=minutes)
    passed = clocks.reached(detected, due, now)
    assert passed == [name for name in times if name in passed]  # a prefix, in order
    assert ("overdue" in passed) == (now > due)


def test_holidays_and_the_year_end_closure_are_not_business_days() -> None:
    assert not clocks.japanese_business_day(date(2026, 11, 23))  # 勤労感謝の日
    assert not clocks.japanese_business_day(date(2026, 12, 29))
    assert clocks.japanese_business_day(date(2027, 1, 4))  # Monday 4 January works
    assert clocks.japanese_business_day(date(2026, 11, 24))


def test_a_rule_refuses_an_unknown_unit_and_a_naive_time() -> None:
    with pytest.raises(ValueError, match="expected a unit"):
        DueRule("weeks", 1)
    with pytest.raises(ValueError, match="naive"):
        clocks.due_at(datetime(2026, 1, 1), DueRule("hours", 1))
