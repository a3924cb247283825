"""Hot-wallet cap and spread (ISM 27-1-1, 27-1-2).

27-1-1: do not keep online markedly more than the amount expected to go out per unit of time.
The expected outflow is configured, or learned: the given percentile (nearest rank) of the
rolling 24-hour outflow, sampled every hour over the last 30 days. A hot balance above
``k ×`` expected is over the cap (sweep the excess to cold); below the expected outflow it
needs a refill. 27-1-2: no single wallet should hold more than a set share of an asset.
All amounts are integers of base units; ``k`` and shares are ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

__all__ = ["CapStatus", "Learned", "cap_status", "learn_expected_outflow", "over_share"]

HOUR = 3_600_000_000  # microseconds


@dataclass(frozen=True)
class Learned:
    """An expected outflow learned from history, with how it was computed."""

    units: int
    samples: int
    percentile: int
    window_hours: int
    lookback_days: int

    def explain(self) -> str:
        """Say how the figure was computed."""
        return (
            f"p{self.percentile} (nearest rank) of {self.samples} rolling {self.window_hours}-hour "
            f"outflows sampled hourly over {self.lookback_days} days = {self.units}"
        )


def learn_expected_outflow(
    outflows: Sequence[tuple[int, int]],
    now: int,
    percentile: int = 99,
    window_hours: int = 24,
    lookback_days: int = 30,
) -> Learned:
    """Learn the expected outflow from ``(time in µs, units)`` pairs (any order)."""
    if not 1 <= percentile <= 100:
        raise ValueError(f"percentile must be 1..100, got {percentile}")
    window = window_hours * HOUR
    start = now - lookback_days * 24 * HOUR
    points = sorted((t, u) for t, u in outflows if start - window < t <= now)
    times = [t for t, _ in points]
    cumulative = [0]
    for _, units in points:
        cumulative.append(cumulative[-1] + units)
    from bisect import bisect_right

    sums = []
    sample = start + window
    while sample <= now:
        hi = bisect_right(times, sample)
        lo = bisect_right(times, sample - window)
        sums.append(cumulative[hi] - cumulative[lo])
        sample += HOUR
    if not sums:
        return Learned(0, 0, percentile, window_hours, lookback_days)
    sums.sort()
    rank = -(-percentile * len(sums) // 100)  # ceil(p/100 * n), nearest rank
    return Learned(sums[rank - 1], len(sums), percentile, window_hours, lookback_days)


@dataclass(frozen=True)
class CapStatus:
    """Where a hot balance stands against its cap."""

    state: str  # over | under | ok
    hot: int
    expected: int
    cap: int
    sweep: int  # to move to cold when over
    refill: int  # to bring in when under


def cap_status(hot: int, expected: int, k: Decimal) -> CapStatus:
    """Compare a hot balance with ``k ×`` the expected outflow (cap rounded down)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    cap = int((Decimal(expected) * k).to_integral_value(rounding=ROUND_FLOOR))
    if hot > cap:
        return CapStatus("over", hot, expected, cap, hot - cap, 0)
    if hot < expected:
        return CapStatus("under", hot, expected, cap, 0, expected - hot)
    return CapStatus("ok", hot, expected, cap, 0, 0)


def over_share(balances: dict[str, int], max_share: Decimal) -> list[tuple[str, Decimal]]:
    """Return the wallets holding more than ``max_share`` of the asset, with their share."""
    total = sum(balances.values())
    if total <= 0:
        return []
    out = []
    for wallet, units in sorted(balances.items()):
        share = Decimal(units) / Decimal(total)
        if share > max_share:
            out.append((wallet, share))
    return out
