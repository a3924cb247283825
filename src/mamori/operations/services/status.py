"""Availability per service per day and month, and the daily confirmation of operating status
(SRM 21-1, 21-2).

Days are Asia/Tokyo days whatever the installation's time zone: the exchange's operating day.
Who confirms: the on-duty system manager is someone holding ``system_general_manager`` or
``dept_system_manager`` now (the on-call rotation of the CSIRT names responders to incidents,
not the manager who signs the day off, so it is not used here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from mamori.accounts.models import RoleAssignment, User
from mamori.core.errors import Refused
from mamori.engines.availability import Availability, Period, measure
from mamori.operations.models import (
    DailyConfirmation,
    Incident,
    MissedConfirmation,
    MonitoredService,
    ServiceState,
    StatusSetting,
)

__all__ = [
    "CONFIRMER_ROLES",
    "TOKYO",
    "ConfirmationRefused",
    "ServiceDay",
    "can_confirm",
    "check_missed",
    "confirm",
    "day_bounds",
    "day_report",
    "due_at",
    "month_availability",
    "service_availability",
    "setting",
]

TOKYO = ZoneInfo("Asia/Tokyo")
CONFIRMER_ROLES = ("system_general_manager", "dept_system_manager")


class ConfirmationRefused(Refused):
    """A daily confirmation refused: the wrong person, a day not over, already confirmed."""


@dataclass(frozen=True)
class ServiceDay:
    """One service's availability over a range against its target."""

    service: MonitoredService
    availability: Availability

    @property
    def meets_target(self) -> bool | None:
        """Return whether the target is met (None: nothing measured)."""
        return self.availability.meets(self.service.availability_target)


def setting() -> StatusSetting:
    """Return the operating-status setting (made with its defaults if missing)."""
    found = StatusSetting.objects.first()
    return found if found is not None else StatusSetting.objects.create()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Return the start and end of ``day`` in Asia/Tokyo."""
    start = datetime.combine(day, time.min, tzinfo=TOKYO)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=TOKYO)


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def service_availability(
    service: MonitoredService, start: datetime, end: datetime, now: datetime | None = None
) -> Availability:
    """Return ``service``'s availability over ``[start, end)``; time after ``now`` is not
    counted (today so far)."""
    now = now or timezone.now()
    end = min(end, now) if start < now else end
    states = ServiceState.objects.filter(service=service, started_at__lt=end).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start)
    )
    periods = [
        Period(
            _seconds(s.started_at),
            None if s.ended_at is None else _seconds(s.ended_at),
            s.state,
        )
        for s in states
    ]
    return measure(periods, _seconds(start), max(_seconds(start), _seconds(end)))


def _services() -> list[MonitoredService]:
    return list(MonitoredService.objects.select_related("system").order_by("code"))


def day_availability(day: date, now: datetime | None = None) -> list[ServiceDay]:
    """Return each service's availability over the Tokyo ``day``."""
    start, end = day_bounds(day)
    return [ServiceDay(s, service_availability(s, start, end, now)) for s in _services()]


def month_availability(year: int, month: int, now: datetime | None = None) -> list[ServiceDay]:
    """Return each service's availability over a Tokyo month."""
    start = datetime(year, month, 1, tzinfo=TOKYO)
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=TOKYO)
    return [ServiceDay(s, service_availability(s, start, following, now)) for s in _services()]


def day_report(day: date, now: datetime | None = None) -> dict[str, Any]:
    """Return what the daily page shows for ``day``: availability per service, state changes
    and incidents opened that day (also the confirmation's snapshot)."""
    start, end = day_bounds(day)
    changes = list(
        ServiceState.objects.filter(started_at__gte=start, started_at__lt=end)
        .select_related("service", "incident")
        .order_by("started_at", "pk")
    )
    incidents = list(
        Incident.objects.filter(detected_at__gte=start, detected_at__lt=end, drill=False).order_by(
            "detected_at", "pk"
        )
    )
    services = day_availability(day, now)
    return {
        "day": day,
        "services": services,
        "changes": changes,
        "incidents": incidents,
        "alerts": sum(1 for c in changes if c.state in ("degraded", "down")),
    }


def _snapshot(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "day": report["day"].isoformat(),
        "alerts": report["alerts"],
        "incidents": [i.reference for i in report["incidents"]],
        "availability": {
            row.service.code: {
                "percent": None
                if row.availability.percent is None
                else str(row.availability.percent),
                "target": str(row.service.availability_target),
                "seconds": row.availability.seconds,
            }
            for row in report["services"]
        },
        "state_changes": [
            {"service": c.service.code, "state": c.state, "at": c.started_at.isoformat()}
            for c in report["changes"]
        ],
    }


def can_confirm(person: object) -> bool:
    """Return whether ``person`` is an on-duty system manager (holds a confirmer role now)."""
    if not isinstance(person, User) or not person.is_active:
        return False
    return RoleAssignment.objects.filter(
        user=person, role__code__in=CONFIRMER_ROLES, revoked_at__isnull=True
    ).exists()


def confirm(
    day: date,
    by: User,
    no_abnormality: bool,
    findings: str = "",
    corrects: DailyConfirmation | None = None,
    now: datetime | None = None,
) -> DailyConfirmation:
    """Record that ``day``'s operating status was analysed (SRM 21-2): no abnormality, or
    what was found; with a snapshot of what was shown. A second record of a day must be a
    correction of the first."""
    now = now or timezone.now()
    if not can_confirm(by):
        raise ConfirmationRefused(
            "not_system_manager",
            gettext("Only a system manager on duty may confirm a day's operating status."),
            status=403,
        )
    if day > now.astimezone(TOKYO).date():
        raise ConfirmationRefused(
            "day_not_started", gettext("A day cannot be confirmed before it starts.")
        )
    findings = findings.strip()
    if not no_abnormality and not findings:
        raise ConfirmationRefused(
            "findings_required",
            gettext("Say what was found, or confirm that there was no abnormality."),
            fields=[("findings", gettext("This field is required."))],
        )
    first = DailyConfirmation.objects.filter(date=day, corrects__isnull=True).first()
    if corrects is None and first is not None:
        raise ConfirmationRefused(
            "already_confirmed",
            gettext("This day is already confirmed; record a correction instead."),
            status=409,
        )
    if corrects is not None and (corrects.date != day or corrects.corrects_id is not None):
        raise ConfirmationRefused(
            "bad_correction", gettext("A correction refers to the day's first confirmation.")
        )
    snapshot = _snapshot(day_report(day, now))
    try:
        with transaction.atomic():
            return DailyConfirmation.objects.create(
                date=day,
                confirmed_by=by,
                no_abnormality=no_abnormality,
                findings=findings,
                snapshot=snapshot,
                at=now,
                corrects=corrects,
            )
    except IntegrityError as error:
        raise ConfirmationRefused(
            "already_confirmed",
            gettext("This day is already confirmed; record a correction instead."),
            status=409,
        ) from error


def due_at(day: date) -> datetime:
    """Return when ``day``'s confirmation is due: the set hour of the next Tokyo day."""
    hour = min(int(setting().confirm_by_hour), 23)
    return datetime.combine(day + timedelta(days=1), time(hour), tzinfo=TOKYO)


def check_missed(now: datetime | None = None, days: int = 7) -> int:
    """Raise, once, a finding for every day of the last ``days`` whose confirmation was not
    recorded by its due time, while services are monitored. Return how many were raised."""
    now = now or timezone.now()
    if not MonitoredService.objects.exists():
        return 0
    today = now.astimezone(TOKYO).date()
    first = ServiceState.objects.order_by("started_at").values_list("started_at", flat=True).first()
    if first is None:
        return 0
    raised = 0
    for back in range(1, days + 1):
        day = today - timedelta(days=back)
        deadline = due_at(day)
        if deadline > now or day < first.astimezone(TOKYO).date():
            continue
        if DailyConfirmation.objects.filter(date=day, at__lte=deadline).exists():
            continue
        _found, created = MissedConfirmation.objects.get_or_create(
            date=day, defaults={"due_at": deadline, "raised_at": now}
        )
        raised += int(created)
    return raised


def percent_text(value: Decimal | None) -> str:
    """Return a percentage for people (— when nothing was measured)."""
    return "—" if value is None else f"{value}%"
