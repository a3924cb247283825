"""An exact sliding sum over event time: the total of counted amounts with time in (a, b].

Times are integers (microseconds since the epoch). Entries are kept sorted by time with
prefix sums, so a range total is two binary searches and a subtraction. Events mostly come
in time order (an append); a late event is inserted in place, updating the prefix sums after
it. A cancelled entry is not removed: its amount goes to a second sorted list that is
subtracted, so cancelling an old withdrawal costs no more than recording a late one.
Entries older than any window can still reach are dropped by :meth:`SlidingSum.forget`.
"""

from __future__ import annotations

from bisect import bisect_right

__all__ = ["SlidingSum"]

Amount = int


class _Sorted:
    """Times in order with prefix sums; ``start`` skips forgotten entries."""

    __slots__ = ("cum", "start", "times")

    def __init__(self) -> None:
        self.times: list[int] = []
        self.cum: list[Amount] = [0]
        self.start = 0

    def add(self, time: int, amount: Amount) -> None:
        times = self.times
        if not times or time >= times[-1]:
            times.append(time)
            self.cum.append(self.cum[-1] + amount)
            return
        index = bisect_right(times, time, self.start)
        times.insert(index, time)
        cum = self.cum
        cum.insert(index + 1, cum[index] + amount)
        for j in range(index + 2, len(cum)):
            cum[j] += amount

    def total(self, after: int, upto: int) -> Amount:
        times = self.times
        if not times:
            return 0
        hi = len(times) if upto >= times[-1] else bisect_right(times, upto, self.start)
        lo = bisect_right(times, after, self.start, hi)
        return self.cum[hi] - self.cum[lo]

    def forget(self, upto: int) -> None:
        times = self.times
        start = bisect_right(times, upto, self.start)
        self.start = start
        if start > 1024 and start * 2 > len(times):
            del times[:start]
            del self.cum[:start]
            self.start = 0


class SlidingSum:
    """Counted amounts minus cancelled ones, summed over any time range (a, b]."""

    __slots__ = ("_added", "_cancelled")

    def __init__(self) -> None:
        self._added = _Sorted()
        self._cancelled: _Sorted | None = None

    def add(self, time: int, amount: Amount) -> None:
        """Count ``amount`` at ``time``."""
        self._added.add(time, amount)

    def cancel(self, time: int, amount: Amount) -> None:
        """Stop counting an ``amount`` added at ``time``."""
        if self._cancelled is None:
            self._cancelled = _Sorted()
        self._cancelled.add(time, amount)

    def total(self, after: int, upto: int) -> Amount:
        """Return the counted total of entries with ``after < time <= upto``."""
        total = self._added.total(after, upto)
        if self._cancelled is not None:
            total -= self._cancelled.total(after, upto)
        return total

    def forget(self, upto: int) -> None:
        """Drop entries with time <= ``upto`` (no window can reach them any more)."""
        self._added.forget(upto)
        if self._cancelled is not None:
            self._cancelled.forget(upto)
