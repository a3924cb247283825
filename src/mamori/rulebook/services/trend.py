"""Compliance over time (SRM 4-3, ISM 4-3): a count of the requirements of both rules per
status, taken once a day by the scheduler, and the chart of the shares on the dashboard.

There is no older history to read: statuses are computed, not stored, so the trend starts on
the first day the snapshot job ran; until then the chart shows today's live count alone and
says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from mamori.core import charts
from mamori.engines.rulebook.status import COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, PARTIAL
from mamori.rulebook.models import ComplianceSnapshot, Requirement
from mamori.rulebook.services.status import Compliance, compute

__all__ = ["BUCKETS", "Trend", "counts", "record", "trend"]

#: The buckets in the order they are stacked.
BUCKETS = ("compliant", "partial", "non_compliant", "not_measured", "not_applicable")


def counts(compliance: Compliance) -> dict[str, int]:
    """Count the current requirements of both rules per bucket: a requirement with no control
    and no decision behind it is ``not_measured`` whatever its computed status."""
    out = dict.fromkeys(BUCKETS, 0)
    urns = Requirement.objects.filter(is_requirement=True, removed_in__isnull=True).values_list(
        "urn", flat=True
    )
    for urn in urns:
        status = compliance.of(urn)
        if status.value == NOT_APPLICABLE:
            out["not_applicable"] += 1
        elif not status.kinds and status.basis is None and not status.overridden:
            out["not_measured"] += 1
        else:
            key = {COMPLIANT: "compliant", PARTIAL: "partial", NON_COMPLIANT: "non_compliant"}
            out[key.get(status.value, "non_compliant")] += 1
    return out


def _today(now: datetime) -> date:
    return now.astimezone(charts.local_zone()).date()


def record(now: datetime | None = None) -> ComplianceSnapshot:
    """Take today's snapshot (local day), replacing an earlier one of the same day."""
    now = now or timezone.now()
    snapshot, _created = ComplianceSnapshot.objects.update_or_create(
        day=_today(now), defaults={"taken_at": now, **counts(compute(now))}
    )
    return snapshot


@dataclass(frozen=True)
class Trend:
    """The days drawn, whether today's count is live (not yet taken), and the chart."""

    days: list[date]
    live_today: bool
    first: date | None
    svg: SafeString


def _share(part: int, total: int) -> Decimal:
    if not total:
        return Decimal(0)
    return (Decimal(part) * 100 / total).quantize(Decimal("0.1"), ROUND_HALF_UP)


def trend(days: int = 30, now: datetime | None = None, live: Compliance | None = None) -> Trend:
    """Return the shares of the last ``days`` local days from the snapshots, today's from
    ``live`` (computed now) when the job has not taken it yet."""
    now = now or timezone.now()
    today = _today(now)
    rows: dict[date, dict[str, int]] = {
        s.day: {b: getattr(s, b) for b in BUCKETS}
        for s in ComplianceSnapshot.objects.filter(day__gt=today - timedelta(days=days))
    }
    live_today = today not in rows
    if live_today:
        rows[today] = counts(live or compute(now))
    shown = sorted(rows)
    names = {
        "compliant": _("compliant"),
        "partial": _("partially compliant"),
        "non_compliant": _("non-compliant"),
        "not_measured": _("not measured"),
        "not_applicable": _("not applicable"),
    }
    series = []
    for bucket in BUCKETS:
        points = []
        for day in shown:
            total = sum(rows[day].values())
            share = _share(rows[day][bucket], total)
            text = _("%(day)s: %(name)s %(n)s of %(total)s (%(share)s %%)") % {
                "day": day,
                "name": names[bucket],
                "n": rows[day][bucket],
                "total": total,
                "share": f"{share.normalize():f}",
            }
            points.append(charts.Point(day, share, text))
        series.append(charts.Series(str(names[bucket]), points))
    svg = charts.days_chart(
        title=_("Requirements of both rules by status"),
        days=shown,
        series=series,
        y_title=_("Share of requirements (percent)"),
        x_title=_("Day (%(zone)s)") % {"zone": charts.zone_name(now)},
        y_text=lambda value: f"{value:f} %",
        kind="compliance",
        every=7,
        percent=True,
        width=520,
    )
    first = ComplianceSnapshot.objects.order_by("day").values_list("day", flat=True).first()
    return Trend(shown, live_today, first, svg)
