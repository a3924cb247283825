"""Proof that reconciliation ran every day (ISM 34-1 「少なくとも1日1回」) and the 90-day
history of differences, per asset, for the dashboard chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from mamori.core import charts as drawing
from mamori.core.amounts import in_coins
from mamori.core.money import format_amount, number_text
from mamori.custody.models import Asset
from mamori.reconciliation.models import AssetResult, Run

__all__ = [
    "COMPLETED",
    "Chart",
    "charts",
    "days_missed_since_first_run",
    "days_without_run",
    "latest_per_asset",
]

COMPLETED = (Run.Status.MATCHED, Run.Status.DIFFERENCE)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.CONFIG.time_zone)


#: How long after the scheduled time a day's run may still be under way.
GRACE = timedelta(hours=2)


def _due_today(now: datetime) -> bool:
    hours, minutes = settings.CONFIG.reconcile_at.split(":")
    local = now.astimezone(_zone())
    scheduled = datetime.combine(local.date(), time(int(hours), int(minutes)), _zone())
    return local >= scheduled + GRACE


def days_without_run(
    days: int, now: datetime | None = None, since: date | None = None
) -> list[date]:
    """Return the days of the last ``days`` (local time) with no completed run. Today counts
    once two hours have passed after the scheduled time; days before ``since`` do not."""
    now = now or timezone.now()
    today = now.astimezone(_zone()).date()
    last = today if _due_today(now) else today - timedelta(days=1)
    done = set(
        Run.objects.filter(
            status__in=COMPLETED, day__gte=last - timedelta(days=days - 1)
        ).values_list("day", flat=True)
    )
    wanted = [last - timedelta(days=n) for n in range(days)]
    return sorted(d for d in wanted if d not in done and (since is None or d >= since))


def days_missed_since_first_run(days: int, now: datetime | None = None) -> list[date] | None:
    """Return the days of the last ``days`` without a completed run, counting from the first
    run ever made; None when reconciliation has never run."""
    first = Run.objects.order_by("started_at").values_list("day", flat=True).first()
    if first is None:
        return None
    return days_without_run(days, now=now, since=first)


def latest_per_asset() -> list[AssetResult]:
    """Return the newest finished result of each asset."""
    results: dict[str, AssetResult] = {}
    for result in (
        AssetResult.objects.exclude(run__status=Run.Status.RUNNING)
        .select_related("run")
        .order_by("-run__started_at", "-pk")[:2000]
    ):
        results.setdefault(result.asset, result)
    return [results[k] for k in sorted(results)]


@dataclass(frozen=True)
class Bar:
    """One day of the chart: its kind, its difference in whole coins and what it says."""

    day: date
    kind: str  # matched | difference | failed | none
    label: str
    amount: Decimal | None = None


@dataclass(frozen=True)
class Chart:
    """Ninety days of one asset's differences (whole coins), one bar per day, drawn."""

    asset: str
    bars: list[Bar]
    largest: Decimal
    svg: SafeString


def _drawn(asset: str, bars: list[Bar], largest: Decimal) -> SafeString:
    """Draw ``bars``: the difference in coins around the zero line; a matched day, a failed
    run and a day without a run each a short bar of their own colour, named in the legend."""
    mark = max(largest / 20, Decimal("1E-8")) if largest else Decimal("0.05")
    kinds = {
        "difference": _("difference (on chain − book)"),
        "matched": _("matched"),
        "failed": _("failed run"),
        "none": _("no run"),
    }
    series = []
    for kind, title in kinds.items():
        points = [
            drawing.Point(bar.day, bar.amount if kind == "difference" else mark, bar.label)
            for bar in bars
            if bar.kind == kind
        ]
        series.append(drawing.Series(title, points))
    return drawing.days_chart(
        title=_("%(asset)s: difference per day") % {"asset": asset},
        days=[bar.day for bar in bars],
        series=series,
        y_title=_("Difference (%(unit)s)") % {"unit": asset},
        x_title=_("Day (%(zone)s)") % {"zone": drawing.zone_name()},
        y_text=lambda value: f"{number_text(value)} {asset}",
        kind="difference",
    )


def charts(days: int = 90, now: datetime | None = None) -> list[Chart]:
    """Return one chart per asset: each local day's last finished run, its difference in
    coins above (surplus) or below (missing) the zero line; failed runs and days without a
    run marked apart."""
    now = now or timezone.now()
    today = now.astimezone(_zone()).date()
    first = today - timedelta(days=days - 1)
    decimals = dict(Asset.objects.values_list("code", "decimals"))
    per_day: dict[tuple[str, date], AssetResult] = {}
    for result in (
        AssetResult.objects.filter(run__day__gte=first)
        .exclude(run__status=Run.Status.RUNNING)
        .select_related("run")
        .order_by("run__started_at", "pk")
    ):
        per_day[(result.asset, result.run.day)] = result  # the day's last run wins
    assets = sorted({a for a, _ in per_day} | set(decimals))
    out = []
    for asset in assets:
        places = decimals.get(asset, 0)
        values = {d: r for (a, d), r in per_day.items() if a == asset}
        largest = max(
            (in_coins(abs(r.difference), places) for r in values.values() if r.difference),
            default=Decimal(0),
        )
        bars = []
        for n in range(days):
            day = first + timedelta(days=n)
            found = values.get(day)
            if found is None:
                bars.append(Bar(day, "none", _("%(day)s: no run") % {"day": day}))
            elif found.status == "failed" or found.difference is None:
                bars.append(Bar(day, "failed", _("%(day)s: failed run") % {"day": day}))
            else:
                amount = in_coins(found.difference, places)
                kind = "matched" if amount == 0 else "difference"
                shown = format_amount(found.difference, places, asset, signed=True)
                bars.append(Bar(day, kind, f"{day}: {shown}", amount))
        out.append(Chart(asset, bars, largest, _drawn(asset, bars, largest)))
    return out
