"""Clocks of reporting obligations (SRM 6-1-3, 7-3; ISM 8-1-3, 9-3; APPI art. 26).

A due rule is *N hours*, *N calendar days* or *N business days* after the detection time, in
the exchange's time zone (Asia/Tokyo):

- ``hours``: exactly N hours after detection.
- ``calendar_days``: the day of detection is not counted (Civil Code art. 140); the report is
  due at the end (23:59:59) of the N-th day after it. With ``roll`` a last day that is not a
  business day moves to the next business day (Civil Code art. 142, as the PPC counts its 30
  and 60 days).
- ``business_days``: due at the end of the N-th business day after the day of detection
  (zero: the day of detection if it is a business day, else the next one).

A business day is a weekday that is not a Japanese public holiday nor in the year-end closure
(29 December to 3 January, the administrative holidays). The holidays are passed in as a
predicate, so the engine reads no calendar of its own; :func:`japanese_business_day` builds the
usual one from the ``holidays`` package.

Escalation: an obligation notifies at half of its window, at 80 % and one hour before it is
due (when that is later than 80 %), and when it is overdue; :func:`reached` says which of these
points ``now`` has passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

__all__ = [
    "THRESHOLDS",
    "TOKYO",
    "UNITS",
    "DueRule",
    "due_at",
    "is_business_day",
    "japanese_business_day",
    "reached",
    "threshold_times",
]

TOKYO = ZoneInfo("Asia/Tokyo")
UNITS: tuple[str, ...] = ("hours", "calendar_days", "business_days")
#: Escalation points in order: half the window, 80 %, one hour before, overdue.
THRESHOLDS: tuple[str, ...] = ("half", "eighty", "hour", "overdue")

BusinessDay = Callable[[date], bool]


@dataclass(frozen=True)
class DueRule:
    """``amount`` ``unit`` after detection; ``roll`` moves a calendar-day deadline that falls on
    a non-business day to the next business day."""

    unit: str
    amount: int
    roll: bool = False

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"expected a unit in {', '.join(UNITS)}, got {self.unit!r}")
        if self.amount < 0:
            raise ValueError(f"expected a non-negative amount, got {self.amount}")


def is_business_day(day: date, holidays: frozenset[date] | set[date]) -> bool:
    """Say whether ``day`` is a weekday outside ``holidays`` and the year-end closure."""
    if day.weekday() >= 5 or day in holidays:
        return False
    return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))


@cache
def _japanese_holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays("JP", years=year).keys())


def japanese_business_day(day: date) -> bool:
    """Say whether ``day`` is a business day in Japan (public holidays from ``holidays``)."""
    return is_business_day(day, _japanese_holidays(day.year))


def _end_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


def due_at(
    detected_at: datetime,
    rule: DueRule,
    business_day: BusinessDay = japanese_business_day,
    zone: ZoneInfo = TOKYO,
) -> datetime:
    """Return when a report under ``rule`` is due for an incident detected at ``detected_at``
    (aware); the answer is in ``zone``."""
    if detected_at.tzinfo is None:
        raise ValueError("expected an aware detection time, got a naive one")
    local = detected_at.astimezone(zone)
    if rule.unit == "hours":
        return (detected_at + timedelta(hours=rule.amount)).astimezone(zone)
    day = local.date()
    if rule.unit == "calendar_days":
        day += timedelta(days=rule.amount)
        while rule.roll and not business_day(day):
            day += timedelta(days=1)
        return _end_of(day, zone)
    left = rule.amount
    while left > 0:
        day += timedelta(days=1)
        if business_day(day):
            left -= 1
    while not business_day(day):  # zero: the day of detection, or the next business day
        day += timedelta(days=1)
    return _end_of(day, zone)


def threshold_times(detected_at: datetime, due: datetime) -> dict[str, datetime]:
    """Return the moment of each escalation point; ``hour`` only when one hour before is later
    than 80 % of the window (a short window escalates at 80 % only)."""
    window = due - detected_at
    times = {
        "half": detected_at + window / 2,
        "eighty": detected_at + window * 4 / 5,
        "overdue": due,
    }
    hour = due - timedelta(hours=1)
    if hour > times["eighty"]:
        times["hour"] = hour
    return {name: times[name] for name in THRESHOLDS if name in times}


def reached(detected_at: datetime, due: datetime, now: datetime) -> list[str]:
    """Return the escalation points ``now`` has passed, in order (overdue once past due)."""
    return [
        name
        for name, at in threshold_times(detected_at, due).items()
        if now > at or (name != "overdue" and now >= at)
    ]
