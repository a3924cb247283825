"""Proof that reconciliation ran every day (ISM 34-1 「少なくとも1日1回」) and the 90-day
history of differences, per asset, for the dashboard chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from mamori.core.amounts import in_coins
from mamori.core.money import format_amount
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
WIDTH, HEIGHT = 720, 140


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
    """One day of the chart: where to draw and what it says."""

    day: date
    x: float
    y: float
    height: float
    kind: str  # matched | difference | failed | none
    label: str


@dataclass(frozen=True)
class Chart:
    """Ninety days of one asset's differences (whole units), one bar per day."""

    asset: str
    bars: list[Bar]
    largest: Decimal
    middle: float


def charts(days: int = 90, now: datetime | None = None) -> list[Chart]:
    """Return one chart per asset: each day's last finished run, its difference as a bar
    above (surplus) or below (missing) the middle line; days without a run marked."""
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
    width = WIDTH / days
    middle = HEIGHT / 2
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
            x = round(n * width, 1)
            if found is None:
                bars.append(Bar(day, x, middle - 2, 4, "none", f"{day}: no run"))
                continue
            if found.status == "failed" or found.difference is None:
                bars.append(Bar(day, x, middle - 3, 6, "failed", f"{day}: failed"))
                continue
            amount = in_coins(found.difference, places)
            size = float(abs(amount) / largest) * (middle - 4) if largest else 0.0
            size = max(size, 1.0)
            y = middle - size if amount > 0 else middle
            kind = "matched" if amount == 0 else "difference"
            shown = format_amount(found.difference, places, asset, signed=True)
            bars.append(Bar(day, x, round(y, 1), round(size, 1), kind, f"{day}: {shown}"))
        out.append(Chart(asset, bars, largest, middle))
    return out
