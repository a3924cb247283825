"""Outflow against each all-customers threshold over the last day, as SVG-ready series
(ISM 27-2-3): the rolling window total sampled every 15 minutes, and the limit — for the
asset, and for each wallet the exchange reported sends from (its share of the same limit)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from mamori.custody.models import Asset, ThresholdRule
from mamori.custody.services import monitor
from mamori.engines import threshold as engine

__all__ = ["Chart", "outflow_charts"]

STEP = 15 * 60 * 1_000_000  # 15 minutes in µs
SPAN = 24 * 3600 * 1_000_000
WIDTH, HEIGHT = 600, 160


@dataclass(frozen=True)
class Chart:
    """One asset and rule: the polyline of the rolling total and the limit's height."""

    asset: str
    wallet: str
    rule: str
    level: str
    limit: int
    peak: int
    points: str
    limit_y: float
    start: str
    end: str


def _chart(asset: str, wallet: str, rule: ThresholdRule, flows: list[tuple[int, int]]) -> Chart:
    flows = sorted(flows)
    times = [t for t, _ in flows]
    cumulative = [0]
    for _, units in flows:
        cumulative.append(cumulative[-1] + units)
    end = times[-1]
    window = (rule.window_seconds or 0) * 1_000_000
    samples = []
    at = end - SPAN
    while at <= end:
        hi, lo = bisect_right(times, at), bisect_right(times, at - window)
        samples.append(cumulative[hi] - cumulative[lo])
        at += STEP
    limit = int(rule.limit_units or 0)
    top = max(max(samples), limit) * 1.1 or 1
    step_x = WIDTH / max(len(samples) - 1, 1)
    points = " ".join(
        f"{i * step_x:.1f},{HEIGHT - value / top * HEIGHT:.1f}" for i, value in enumerate(samples)
    )
    return Chart(
        asset,
        wallet,
        rule.code,
        rule.level,
        limit,
        max(samples),
        points,
        round(HEIGHT - limit / top * HEIGHT, 1),
        engine.from_micros(end - SPAN).isoformat(timespec="minutes"),
        engine.from_micros(end).isoformat(timespec="minutes"),
    )


def outflow_charts() -> list[Chart]:
    """Return a chart per all-customers withdrawal rule with a unit limit, for the last day
    of recorded activity: the asset's outflow first, then each wallet's."""
    state = monitor.current()
    flows: dict[str, tuple[list[tuple[int, int]], dict[str, list[tuple[int, int]]]]] = {}
    charts = []
    for rule in ThresholdRule.objects.filter(
        active=True, direction="withdrawal", scope="all", asset__isnull=False
    ).select_related("asset"):
        asset: Asset = rule.asset  # type: ignore[assignment]
        if asset.code not in flows:  # read the history once per asset, not once per rule
            flows[asset.code] = (
                state.outflows(asset.code),
                state.outflows_by_wallet(asset.code),
            )
        total, by_wallet = flows[asset.code]
        if not total or rule.limit_units is None or not rule.window_seconds:
            continue
        charts.append(_chart(asset.code, "", rule, total))
        for wallet, sent in sorted(by_wallet.items()):
            charts.append(_chart(asset.code, wallet, rule, sent))
    return charts
