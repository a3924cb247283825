"""Outflow against each all-customers threshold over the last day (ISM 27-2-3): the rolling
window's total, the limit drawn as a line, each halt of the rule marked at its moment — for
the asset, and for each wallet the exchange reported sends from (its share of the same
limit) — with a sentence saying how near the peak came to the limit and why a halt started.

The total is taken every 15 minutes and just after each withdrawal (where a rolling total
peaks), so the peak drawn is the true one. A withdrawal that would have reached the limit is
refused and halts the asset: it is not in the outflow, which is why a halted asset's peak can
stay below its limit; the caption says so with the amount the refused request would have
made.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from mamori.core import charts
from mamori.core.amounts import in_coins
from mamori.core.money import format_amount, number_text
from mamori.custody.models import Asset, Halt, MonitorRecord, ThresholdRule
from mamori.custody.services import monitor
from mamori.engines import threshold as engine

__all__ = ["Chart", "outflow_charts", "window_text"]

STEP = 15 * 60 * 1_000_000  # 15 minutes in µs
SPAN = 24 * 3600 * 1_000_000


@dataclass(frozen=True)
class Chart:
    """One asset (or wallet) and rule: the drawn SVG, the peak and a caption in words."""

    asset: str
    wallet: str
    rule: str
    level: str
    limit: int
    peak: int
    svg: SafeString
    caption: str


def window_text(seconds: int) -> str:
    """Return a window as people say it: ``24 h``, ``30 min``, ``90 s``."""
    if seconds % 3600 == 0:
        return _("%(n)s h") % {"n": seconds // 3600}
    if seconds % 60 == 0:
        return _("%(n)s min") % {"n": seconds // 60}
    return _("%(n)s s") % {"n": seconds}


def _totals(
    flows: list[tuple[int, int]], window: int, start: int, end: int
) -> list[tuple[int, int]]:
    """Return ``(time µs, rolling total)`` every 15 minutes and just after each flow."""
    times = [t for t, _ in flows]
    cumulative = [0]
    for _t, units in flows:
        cumulative.append(cumulative[-1] + units)
    moments = set(range(start, end + 1, STEP)) | {t for t in times if start <= t <= end}
    out = []
    for at in sorted(moments):
        hi, lo = bisect_right(times, at), bisect_right(times, at - window)
        out.append((at, cumulative[hi] - cumulative[lo]))
    return out


def _halt_sentence(halt: Halt, asset: Asset) -> str:
    """Say when ``halt`` started and what the refused request would have made the total."""
    at = halt.started_at.astimezone(charts.local_zone()).strftime("%H:%M")
    record = MonitorRecord.objects.filter(event_id=halt.event_id).first()
    reason = next(
        (r for r in (record.reasons if record else []) if r.get("rule") == halt.rule),
        None,
    )
    if reason and reason.get("observed") and reason.get("limit"):
        return _(
            "The halt at %(time)s (%(zone)s) was started by request %(event)s: it would have "
            "brought the total in the window to %(observed)s, reaching the %(limit)s limit, "
            "so it was refused and is not in the outflow drawn."
        ) % {
            "time": at,
            "zone": charts.zone_name(halt.started_at),
            "event": halt.event_id,
            "observed": format_amount(int(reason["observed"]), asset.decimals, asset.code),
            "limit": format_amount(int(reason["limit"]), asset.decimals, asset.code),
        }
    return _("The halt at %(time)s (%(zone)s) was started by %(event)s under rule %(rule)s.") % {
        "time": at,
        "zone": charts.zone_name(halt.started_at),
        "event": halt.event_id,
        "rule": halt.rule,
    }


def _chart(asset: Asset, wallet: str, rule: ThresholdRule, flows: list[tuple[int, int]]) -> Chart:
    flows = sorted(flows)
    window_s = rule.window_seconds or 0
    limit = int(rule.limit_units or 0)
    halts = list(Halt.objects.filter(rule=rule.code).order_by("started_at")) if not wallet else []
    end = flows[-1][0]
    start = end - SPAN
    late = [engine.micros(h.started_at) for h in halts if start <= engine.micros(h.started_at)]
    end = max([end, *late])
    start = end - SPAN
    totals = _totals(flows, window_s * 1_000_000, start, end)
    peak = max(total for _t, total in totals)
    halts = [h for h in halts if start <= engine.micros(h.started_at) <= end]
    code, places = asset.code, asset.decimals

    def coins(units: int) -> str:
        return format_amount(units, places, code)

    points = [
        charts.Point(engine.from_micros(t), in_coins(total, places), coins(total))
        for t, total in totals
    ]
    limit_text = _("limit %(limit)s") % {"limit": coins(limit)}
    share = (Decimal(peak) * 100 / limit).quantize(Decimal("0.1"), ROUND_HALF_UP) if limit else 0
    window = window_text(window_s)
    sentences = [
        _("Peak %(peak)s in the %(window)s window reached %(share)s %% of the %(limit)s limit.")
        % {
            "peak": coins(peak),
            "window": window,
            "share": number_text(Decimal(share).normalize()),
            "limit": coins(limit),
        }
    ]
    sentences += [_halt_sentence(h, asset) for h in halts]
    began: datetime = engine.from_micros(start)
    title = (
        _("%(asset)s outflow, rule %(rule)s") % {"asset": code, "rule": rule.code}
        if not wallet
        else _("%(asset)s outflow from wallet %(wallet)s, rule %(rule)s")
        % {"asset": code, "wallet": wallet, "rule": rule.code}
    )
    svg = charts.time_chart(
        title=title,
        series=[charts.Series(_("total in the %(window)s window") % {"window": window}, points)],
        start=began,
        end=engine.from_micros(end),
        hours=3,
        y_title=_("Outflow (%(unit)s)") % {"unit": code},
        x_title=_("Time (%(zone)s)") % {"zone": charts.zone_name(began)},
        y_text=lambda value: f"{number_text(value)} {code}",
        limit=charts.Point(None, in_coins(limit, places), limit_text),
        markers=[
            charts.Marker(
                h.started_at,
                _("halt %(time)s")
                % {"time": h.started_at.astimezone(charts.local_zone()).strftime("%H:%M")},
            )
            for h in halts
        ],
    )
    return Chart(code, wallet, rule.code, rule.level, limit, peak, svg, " ".join(sentences))


def outflow_charts() -> list[Chart]:
    """Return a chart per all-customers withdrawal rule with a unit limit, for the last day
    of recorded activity: the asset's outflow first, then each wallet's."""
    state = monitor.current()
    flows: dict[str, tuple[list[tuple[int, int]], dict[str, list[tuple[int, int]]]]] = {}
    out = []
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
        out.append(_chart(asset, "", rule, total))
        for wallet, sent in sorted(by_wallet.items()):
            out.append(_chart(asset, wallet, rule, sent))
    return out
