"""An exact sliding sum over event time: the total of counted amounts with time in (a, b].

Times are integers (microseconds since the epoch). Entries are kept sorted by time with
prefix sums, so a range total is two binary searches and a subtraction. Events mostly come
in time order (an append); a late event is inserted in place, updating the prefix sums after
it. A cancelled entry is not removed: its amount goes to a second sorted sum that is
subtracted, so cancelling an old withdrawal costs no more than recording a late one.
Entries older than any window can still reach are dropped by :meth:`SlidingSum.forget`.
A window's start moves forward with time, so the search for it starts where the last one
ended (a step or two) and falls back to a binary search when it must go back or far.
"""

from __future__ import annotations

from bisect import bisect_right

__all__ = ["SlidingSum"]


class SlidingSum:
    """Counted amounts minus cancelled ones, summed over any time range (a, b]."""

    __slots__ = ("cancelled", "cum", "hint", "start", "times")

    def __init__(self) -> None:
        self.times: list[int] = []
        self.cum: list[int] = [0]
        self.start = 0
        self.hint = 0  # where the last search for a window's start ended
        self.cancelled: SlidingSum | None = None

    def add(self, time: int, amount: int) -> None:
        """Count ``amount`` at ``time``."""
        times = self.times
        if not times or time >= times[-1]:
            times.append(time)
            cum = self.cum
            cum.append(cum[-1] + amount)
            return
        index = bisect_right(times, time, self.start)
        times.insert(index, time)
        cum = self.cum
        cum.insert(index + 1, cum[index] + amount)
        for j in range(index + 2, len(cum)):
            cum[j] += amount

    def cancel(self, time: int, amount: int) -> None:
        """Stop counting an ``amount`` added at ``time``."""
        if self.cancelled is None:
            self.cancelled = SlidingSum()
        self.cancelled.add(time, amount)

    def total(self, after: int, upto: int) -> int:
        """Return the counted total of entries with ``after < time <= upto``."""
        times = self.times
        if not times:
            return 0
        hi = len(times) if upto >= times[-1] else bisect_right(times, upto, self.start)
        lo = self._after(after, hi)
        total = self.cum[hi] - self.cum[lo]
        if self.cancelled is not None:
            total -= self.cancelled.total(after, upto)
        return total

    def _after(self, after: int, hi: int) -> int:
        """Return ``bisect_right(times, after, start, hi)``, searching from :attr:`hint`."""
        times, start = self.times, self.start
        lo = min(max(self.hint, start), hi)
        if lo > start and times[lo - 1] > after:
            lo = bisect_right(times, after, start, lo)
        else:
            steps = 0
            while lo < hi and times[lo] <= after:
                lo += 1
                steps += 1
                if steps == 4:
                    lo = bisect_right(times, after, lo, hi)
                    break
        self.hint = lo
        return lo

    def forget(self, upto: int) -> None:
        """Drop entries with time <= ``upto`` (no window can reach them any more)."""
        times = self.times
        start = bisect_right(times, upto, self.start)
        self.start = start
        if start > 1024 and start * 2 > len(times):
            del times[:start]
            del self.cum[:start]
            self.start = self.hint = 0
        if self.cancelled is not None:
            self.cancelled.forget(upto)
