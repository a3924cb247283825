"""Incident clocks benchmark: the due time and escalation points of every open report
(SRM 6-1-3, 7-3; ISM 8-1-3, 9-3), as the scheduler's escalation pass computes them.

``--incidents`` detections spread over three years get a due time under each of the default
rules (hours, calendar days rolled to a business day, business days) from
:func:`mamori.engines.incidents.clocks.due_at`, and the escalation points passed at a fixed
moment from :func:`~mamori.engines.incidents.clocks.reached`. The baseline is the way it is
usually written with the peer library: walk the days one by one asking a ``holidays.JP``
calendar whether each is a holiday, and compare the times by hand. Both must give identical due
times and points. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

import holidays

from mamori.engines.incidents.clocks import TOKYO, DueRule, due_at, reached

RULES = [
    DueRule("hours", 1),
    DueRule("hours", 24),
    DueRule("business_days", 1),
    DueRule("calendar_days", 3, roll=True),
    DueRule("calendar_days", 30, roll=True),
    DueRule("calendar_days", 60, roll=True),
    DueRule("business_days", 5),
]


def _baseline_due(detected: datetime, rule: DueRule, calendar: holidays.HolidayBase) -> datetime:
    def business(day: date) -> bool:
        closed = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
        return day.weekday() < 5 and day not in calendar and not closed

    if rule.unit == "hours":
        return (detected + timedelta(hours=rule.amount)).astimezone(TOKYO)
    day = detected.astimezone(TOKYO).date()
    if rule.unit == "calendar_days":
        day += timedelta(days=rule.amount)
        while rule.roll and not business(day):
            day += timedelta(days=1)
    else:
        left = rule.amount
        while left:
            day += timedelta(days=1)
            left -= business(day)
        while not business(day):
            day += timedelta(days=1)
    return datetime.combine(day, clock(23, 59, 59), tzinfo=TOKYO)


def _baseline_points(detected: datetime, due: datetime, now: datetime) -> list[str]:
    window = due - detected
    points = [("half", detected + window / 2), ("eighty", detected + window * 4 / 5)]
    if due - timedelta(hours=1) > detected + window * 4 / 5:
        points.append(("hour", due - timedelta(hours=1)))
    passed = [name for name, at in points if now >= at]
    return passed + (["overdue"] if now > due else [])


def main(argv: list[str]) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m mamori.bench incidents")
    parser.add_argument("--incidents", type=int, default=20_000)
    args = parser.parse_args(argv)
    chooser = random.Random(27)  # noqa: S311 - benchmark data, not secrets
    start = datetime(2025, 1, 1, tzinfo=UTC)
    detections = [
        start + timedelta(seconds=chooser.randrange(3 * 365 * 86400)) for _ in range(args.incidents)
    ]
    now = datetime(2026, 6, 1, tzinfo=UTC)
    t0 = time.perf_counter()
    ours = []
    for detected in detections:
        for rule in RULES:
            due = due_at(detected, rule)
            ours.append((due, reached(detected, due, now)))
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    calendar = holidays.country_holidays("JP", years=range(2025, 2029))
    theirs = []
    for detected in detections:
        for rule in RULES:
            due = _baseline_due(detected, rule, calendar)
            theirs.append((due, _baseline_points(detected, due, now)))
    theirs_s = time.perf_counter() - t0
    reports = args.incidents * len(RULES)
    figures = {
        "bench": "incidents",
        "incidents": args.incidents,
        "reports": reports,
        "reports_per_s": round(reports / ours_s),
        "baseline": "day-by-day walk over a holidays.JP calendar",
        "baseline_reports_per_s": round(reports / theirs_s),
        "ratio": round(theirs_s / ours_s, 2),
        "identical": ours == theirs,
    }
    print(json.dumps(figures))
    return 0 if figures["identical"] else 1
