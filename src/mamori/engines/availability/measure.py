"""Seconds per state and availability of one service over a range (SRM 21-1).

The rule:

- Each period ``[start, end)`` says the service was in ``state`` from ``start`` until ``end``
  (``None``: still in it). Periods are clipped to the range; where periods overlap the one that
  started later wins (a newer report supersedes an older one), and seconds no period covers
  count as ``unknown``.
- ``down`` counts against availability. ``degraded`` counts as available (the service answered)
  but its seconds are reported beside it. ``unknown`` is neither: availability is
  ``(up + degraded) / (up + degraded + down)`` over the *known* seconds, and the unknown seconds
  are reported separately so that a reader sees how much was not observed.
- With no known second, availability is ``None`` (nothing measured), never 100 %.

Times are integer seconds past any epoch the caller chooses (the shell passes POSIX seconds),
so the arithmetic is exact; availability is a ``Decimal`` percentage rounded half-even to
``places`` decimal places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise

__all__ = ["STATES", "Availability", "Period", "measure"]

STATES = ("up", "degraded", "down", "unknown")


@dataclass(frozen=True)
class Period:
    """A service in ``state`` from ``start`` until ``end`` (``None``: not ended)."""

    start: int
    end: int | None
    state: str


@dataclass(frozen=True)
class Availability:
    """Seconds per state over a range, and the availability they give (percent)."""

    seconds: dict[str, int] = field(default_factory=dict)
    percent: Decimal | None = None

    @property
    def known(self) -> int:
        """Return the seconds in a known state (up, degraded or down)."""
        return sum(self.seconds.get(state, 0) for state in ("up", "degraded", "down"))

    def meets(self, target: Decimal) -> bool | None:
        """Return whether the availability reaches ``target`` (None: nothing measured)."""
        return None if self.percent is None else self.percent >= target


def _percent(available: int, known: int, places: int) -> Decimal | None:
    if known == 0:
        return None
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(available) * 100 / Decimal(known)).quantize(quantum, ROUND_HALF_EVEN)


def measure(periods: list[Period], start: int, end: int, places: int = 3) -> Availability:
    """Return the seconds per state of ``periods`` within ``[start, end)`` and the availability
    (see the module's rule). Raise ``ValueError`` for an unknown state or an empty range."""
    if end < start:
        raise ValueError(f"expected a range with end >= start, got {start}..{end}")
    for period in periods:
        if period.state not in STATES:
            raise ValueError(f"expected a state in {STATES}, got {period.state!r}")
    # the later-started period wins where periods overlap: sweep the boundaries
    ordered = sorted(enumerate(periods), key=lambda item: (item[1].start, item[0]))
    clipped: list[tuple[int, int, int, str]] = []
    for rank, (_index, period) in enumerate(ordered):
        low = max(period.start, start)
        high = end if period.end is None else min(period.end, end)
        if high > low:
            clipped.append((low, high, rank, period.state))
    points = sorted({start, end, *(c[0] for c in clipped), *(c[1] for c in clipped)})
    seconds = dict.fromkeys(STATES, 0)
    for low, high in pairwise(points):
        best = -1
        state = "unknown"
        for c_low, c_high, rank, c_state in clipped:
            if c_low <= low and high <= c_high and rank > best:
                best, state = rank, c_state
        seconds[state] += high - low
    available = seconds["up"] + seconds["degraded"]
    known = available + seconds["down"]
    return Availability(seconds, _percent(available, known, places))
