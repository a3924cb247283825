"""Maintenance: planned, announced to customers, started, done (SRM 13).

Announcing a maintenance drafts its customer notice through the guard's notice service and
sends it for approval there (the CISO or the system general manager approves, never the
author); the notice is public — and the maintenance *announced* — only once approved, and the
time it was published is kept. A maintenance that starts (its actual start recorded, or its
planned start passed while still planned or announced) without its notice published at least
the minimum notice before the planned start is a :class:`ChangeFinding`
``maintenance_without_notice``, raised once. A timely maintenance may carry a documented
emergency exception; the finding is raised all the same and shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from mamori.accounts.models import User
from mamori.core.errors import Refused
from mamori.engines.incidents.clocks import TOKYO
from mamori.operations.models import (
    ChangeFinding,
    Maintenance,
    MaintenanceNoticeRule,
    System,
)

__all__ = [
    "DEFAULT_MINIMUM_DAYS",
    "MaintenanceRefused",
    "announce",
    "cancel",
    "check_started",
    "finding_for",
    "finish",
    "notice_on_time",
    "notice_published",
    "plan",
    "public",
    "required_notice",
    "revise",
    "start",
    "update_published",
]

#: The minimum notice when no rule covers a criticality (SRM 13-2).
DEFAULT_MINIMUM_DAYS = 7
#: How far back the job looks for maintenance that started.
LOOKBACK_DAYS = 400
#: Statuses of a maintenance that has not started.
NOT_STARTED = (Maintenance.Status.PLANNED, Maintenance.Status.ANNOUNCED)
#: Fields a maintenance is planned with.
FIELDS = (
    "title_ja",
    "title_en",
    "description_ja",
    "description_en",
    "internal_notes",
    "kind",
    "change",
    "planned_start",
    "planned_end",
    "exception",
    "exception_reason",
)


class MaintenanceRefused(Refused):
    """A maintenance refused: a bad window, an exception without reason, a wrong step."""


def _finding_key(maintenance: Maintenance) -> str:
    return f"maintenance:{maintenance.pk}"


def _validate(data: dict[str, Any]) -> None:
    start, end = data.get("planned_start"), data.get("planned_end")
    if start is None or end is None or end <= start:
        raise MaintenanceRefused(
            "bad_window",
            gettext("A maintenance must end after it starts."),
            fields=[("planned_end", gettext("Before the start."))],
        )
    if data.get("exception"):
        if data.get("kind") != Maintenance.Kind.TIMELY:
            raise MaintenanceRefused(
                "exception_not_timely",
                gettext("Only a timely maintenance may be an exception to the notice period."),
                fields=[("exception", gettext("Periodic maintenance is announced in time."))],
            )
        if not str(data.get("exception_reason", "")).strip():
            raise MaintenanceRefused(
                "exception_reason_required",
                gettext("An exception to the notice period needs its reason."),
                fields=[("exception_reason", gettext("This field is required."))],
            )


def plan(
    data: dict[str, Any],
    systems: Iterable[System],
    by: User,
    services: Iterable[Any] = (),
) -> Maintenance:
    """Put a maintenance on the calendar (SRM 13-1)."""
    _validate(data)
    systems = list(systems)
    if not systems:
        raise MaintenanceRefused(
            "systems_required",
            gettext("Name the systems the maintenance touches."),
            fields=[("systems", gettext("This field is required."))],
        )
    with transaction.atomic():
        maintenance = Maintenance.objects.create(
            **{name: data.get(name) for name in FIELDS if name in data}, created_by=by
        )
        maintenance.systems.set(systems)
        maintenance.services.set(list(services))
    return maintenance


def revise(
    maintenance: Maintenance,
    data: dict[str, Any],
    systems: Iterable[System],
    by: User,
    services: Iterable[Any] = (),
) -> Maintenance:
    """Change a maintenance that has not finished; an announced one is announced again (the
    notice waits for approval once more, or an update is appended to a published notice)."""
    if maintenance.status in (Maintenance.Status.DONE, Maintenance.Status.CANCELLED):
        raise MaintenanceRefused(
            "closed", gettext("A finished or cancelled maintenance is not changed."), status=409
        )
    _validate(data)
    with transaction.atomic():
        for name in FIELDS:
            if name in data:
                setattr(maintenance, name, data[name])
        maintenance.save()
        maintenance.systems.set(list(systems))
        maintenance.services.set(list(services))
        if maintenance.notice_id is not None:
            announce(maintenance, by)
    return maintenance


def required_notice(maintenance: Maintenance) -> timedelta:
    """Return how long before the planned start the notice must be public: the longest rule
    among the criticalities of the systems touched."""
    rules = dict(MaintenanceNoticeRule.objects.values_list("criticality", "minimum_days"))
    levels = {s.criticality for s in maintenance.systems.all()} or {System.Criticality.MEDIUM}
    days = max(rules.get(level, DEFAULT_MINIMUM_DAYS) for level in levels)
    return timedelta(days=days)


def _window_text(maintenance: Maintenance, language: str) -> str:
    zone = timezone.get_default_timezone()
    start = timezone.localtime(maintenance.planned_start, zone).strftime("%Y-%m-%d %H:%M")
    end = timezone.localtime(maintenance.planned_end, zone).strftime("%Y-%m-%d %H:%M")
    if language == "en":
        return f"Planned: {start} to {end} (JST)"
    return f"予定日時: {start} ～ {end}（日本時間）"


def _body(maintenance: Maintenance, language: str) -> str:
    return f"{maintenance.description(language)}\n\n{_window_text(maintenance, language)}"


def announce(maintenance: Maintenance, by: User) -> Any:
    """Write (or rewrite) the maintenance's customer notice and send it for approval through
    the guard's notice service; it is published — and the maintenance announced — when
    approved. Once published, a change is appended as an update, approved the same way."""
    from mamori.guard.models import NoticeService, Publication
    from mamori.guard.services import notices

    if maintenance.status not in NOT_STARTED:
        raise MaintenanceRefused(
            "not_planned", gettext("Only a maintenance not yet started is announced."), status=409
        )
    services = [(f, "maintenance") for f in maintenance.services.all()]
    with transaction.atomic():
        notice = maintenance.notice
        if notice is None:
            notice = notices.draft(
                kind="maintenance",
                title_ja=maintenance.title_ja,
                title_en=maintenance.title_en,
                body_ja=_body(maintenance, "ja"),
                body_en=_body(maintenance, "en"),
                services=services,
                by=by,
                starts_at=maintenance.planned_start,
                ends_at=maintenance.planned_end,
            )
            notices.submit(notice, by)
            maintenance.notice = notice
            maintenance.save(update_fields=["notice"])
        elif notice.publication != Publication.PUBLISHED:
            notice.title_ja, notice.title_en = maintenance.title_ja, maintenance.title_en
            notice.body_ja, notice.body_en = _body(maintenance, "ja"), _body(maintenance, "en")
            notice.starts_at, notice.ends_at = maintenance.planned_start, maintenance.planned_end
            notice.publication = Publication.PENDING
            notice.save()
            notice.services.all().delete()
            for function, state in services:
                NoticeService.objects.create(notice=notice, function=function, state=state)
        else:
            notices.append_update(
                notice,
                f"{maintenance.title_ja}: {_body(maintenance, 'ja')}",
                f"{maintenance.title_en}: {_body(maintenance, 'en')}",
                by,
            )
    return notice


def notice_published(notice: Any) -> Maintenance | None:
    """Record that ``notice`` (a guard notice) was published: its maintenance is announced
    and keeps the time. Called when a notice is saved; anything else is left alone."""
    if notice.publication != "published" or notice.published_at is None:
        return None
    maintenance = Maintenance.objects.filter(notice=notice).first()
    if maintenance is None or maintenance.notice_published_at is not None:
        return maintenance
    maintenance.notice_published_at = notice.published_at
    fields = ["notice_published_at"]
    if maintenance.status == Maintenance.Status.PLANNED:
        maintenance.status = Maintenance.Status.ANNOUNCED
        fields.append("status")
    maintenance.save(update_fields=fields)
    return maintenance


def update_published(update: Any) -> None:
    """An approved update of a maintenance notice (the maintenance re-planned) moves the
    notice's window to the maintenance's planned window, so the status page shows it when it
    happens. Called when a notice update is saved; anything else is left alone."""
    if update.publication != "published" or update.resolves:
        return
    maintenance = Maintenance.objects.filter(notice_id=update.notice_id).first()
    if maintenance is None or maintenance.status == Maintenance.Status.CANCELLED:
        return
    notice = update.notice
    if (notice.starts_at, notice.ends_at) != (maintenance.planned_start, maintenance.planned_end):
        notice.starts_at, notice.ends_at = maintenance.planned_start, maintenance.planned_end
        notice.save(update_fields=["starts_at", "ends_at"])


def notice_on_time(maintenance: Maintenance) -> bool:
    """Whether the notice was published at least the minimum notice before the maintenance
    began: its planned start, or its actual start when that came earlier (customers were told
    a later time)."""
    published = maintenance.notice_published_at
    began = maintenance.planned_start
    if maintenance.actual_start is not None:
        began = min(began, maintenance.actual_start)
    return published is not None and published <= began - required_notice(maintenance)


def finding_for(maintenance: Maintenance) -> ChangeFinding | None:
    """Return the finding raised on ``maintenance``, if any."""
    return ChangeFinding.objects.filter(key=_finding_key(maintenance)).first()


def _check(maintenance: Maintenance, now: datetime) -> ChangeFinding | None:
    """Raise the finding (once) when ``maintenance`` started without a timely notice."""
    if notice_on_time(maintenance):
        return None
    required = required_notice(maintenance)
    published = maintenance.notice_published_at
    finding, _created = ChangeFinding.objects.get_or_create(
        key=_finding_key(maintenance),
        defaults={
            "kind": ChangeFinding.Kind.MAINTENANCE_WITHOUT_NOTICE,
            "change": maintenance.change,
            "raised_at": now,
            "detail": {
                "maintenance": maintenance.pk,
                "reference": maintenance.reference,
                "title": maintenance.title_en,
                "planned_start": maintenance.planned_start.isoformat(),
                "actual_start": (
                    maintenance.actual_start.isoformat() if maintenance.actual_start else None
                ),
                "minimum_notice_days": required.days,
                "notice_published_at": published.isoformat() if published else None,
                "exception": maintenance.exception,
                "exception_reason": maintenance.exception_reason,
            },
        },
    )
    return finding


def start(maintenance: Maintenance, by: User, at: datetime | None = None) -> Maintenance:
    """Record that the maintenance started; a late or missing notice raises the finding."""
    if maintenance.status not in NOT_STARTED:
        raise MaintenanceRefused(
            "not_planned", gettext("Only a maintenance not yet started starts."), status=409
        )
    now = timezone.now()
    with transaction.atomic():
        maintenance.actual_start = at or now
        maintenance.status = Maintenance.Status.IN_PROGRESS
        maintenance.save(update_fields=["actual_start", "status"])
        _check(maintenance, now)
    return maintenance


def finish(maintenance: Maintenance, by: User, at: datetime | None = None) -> Maintenance:
    """Record that the maintenance is done; a published notice gets a resolving update saying
    when it ended (approved like the notice), so customers read that it is over."""
    if maintenance.status != Maintenance.Status.IN_PROGRESS:
        raise MaintenanceRefused(
            "not_started", gettext("Only a maintenance in progress is finished."), status=409
        )
    end = at or timezone.now()
    if maintenance.actual_start is not None and end < maintenance.actual_start:
        raise MaintenanceRefused(
            "bad_window",
            gettext("A maintenance must end after it starts."),
            fields=[("actual_end", gettext("Before the start."))],
        )
    with transaction.atomic():
        maintenance.actual_end = end
        maintenance.status = Maintenance.Status.DONE
        maintenance.save(update_fields=["actual_end", "status"])
        _announce_end(maintenance, by)
    return maintenance


def _announce_end(maintenance: Maintenance, by: User) -> None:
    from mamori.guard.models import Publication
    from mamori.guard.services import notices

    notice = maintenance.notice
    if notice is None or notice.publication != Publication.PUBLISHED or notice.resolved:
        return
    assert maintenance.actual_end is not None
    ended = timezone.localtime(maintenance.actual_end, TOKYO)
    notices.append_update(
        notice,
        f"このメンテナンスは {ended:%Y-%m-%d %H:%M}（日本時間）に終了しました。",
        f"This maintenance ended at {ended:%Y-%m-%d %H:%M} (Japan time).",
        by,
        resolves=True,
    )


def cancel(maintenance: Maintenance, by: User) -> Maintenance:
    """Cancel a maintenance not yet started; a published notice gets a resolving update
    (approved like the notice) saying so."""
    from mamori.guard.models import Publication
    from mamori.guard.services import notices

    if maintenance.status not in NOT_STARTED:
        raise MaintenanceRefused(
            "not_planned", gettext("Only a maintenance not yet started is cancelled."), status=409
        )
    with transaction.atomic():
        maintenance.status = Maintenance.Status.CANCELLED
        maintenance.save(update_fields=["status"])
        notice = maintenance.notice
        if notice is not None and notice.publication == Publication.PUBLISHED:
            notices.append_update(
                notice,
                "このメンテナンスは中止となりました。",
                "This maintenance has been cancelled.",
                by,
                resolves=True,
            )
        elif notice is not None:
            notice.publication = Publication.DRAFT
            notice.save(update_fields=["publication"])
    return maintenance


def check_started(now: datetime | None = None) -> dict[str, int]:
    """Raise a finding for every maintenance that started without a timely notice: its actual
    start recorded, or its planned start passed while still planned or announced (the job)."""
    now = now or timezone.now()
    started = (
        Maintenance.objects.exclude(status=Maintenance.Status.CANCELLED)
        .filter(planned_start__gte=now - timedelta(days=LOOKBACK_DAYS))
        .filter(Q(actual_start__lte=now) | Q(status__in=NOT_STARTED, planned_start__lte=now))
    )
    known = set(
        ChangeFinding.objects.filter(key__startswith="maintenance:").values_list("key", flat=True)
    )
    raised = 0
    checked = 0
    for maintenance in started.prefetch_related("systems"):
        if _finding_key(maintenance) in known:
            continue
        checked += 1
        with transaction.atomic():
            if _check(maintenance, now) is not None:
                raised += 1
    return {"checked": checked, "raised": raised}


def public() -> QuerySet[Maintenance]:
    """Return the maintenance customers may see: its notice published, not cancelled."""
    return (
        Maintenance.objects.filter(notice__publication="published")
        .exclude(status=Maintenance.Status.CANCELLED)
        .prefetch_related("systems")
    )
