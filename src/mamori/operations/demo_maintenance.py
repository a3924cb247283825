"""Demo data of the maintenance calendar (SRM 13): last month's periodic maintenance of the
matching engine, announced to customers seven days ahead and done, on the public status page;
and one maintenance of the matching engine coming up, announced."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from mamori.accounts.models import Department, User
from mamori.core.demo import DemoReport
from mamori.operations.models import Maintenance, System
from mamori.operations.services import maintenance as service

CODE = "matching-engine"


def _engine(manager: User) -> System | None:
    """Return the matching engine in the systems register, adding it if absent."""
    system = System.objects.filter(code=CODE).first()
    if system is not None:
        return system
    department = Department.objects.filter(code="systems").first() or Department.objects.first()
    if department is None:
        return None
    return System.objects.create(
        code=CODE,
        name_ja="マッチングエンジン",
        name_en="Matching engine",
        description="注文の付け合わせ / order matching",
        department=department,
        system_manager=manager,
        criticality=System.Criticality.HIGH,
    )


def _at(day: datetime, hour: int) -> datetime:
    zone = timezone.get_current_timezone()
    return datetime.combine(day.date(), time(hour), tzinfo=zone)


def _announced(
    engine: System,
    author: User,
    approver: User,
    start: datetime,
    hours: int,
    title: tuple[str, str],
) -> Maintenance:
    from mamori.guard.models import Function
    from mamori.guard.services import notices

    planned = service.plan(
        {
            "title_ja": title[0],
            "title_en": title[1],
            "description_ja": "定期メンテナンスのため、取引を一時停止します。",
            "description_en": "Trading is paused for periodic maintenance.",
            "internal_notes": "マッチングエンジンのOS更新と再起動 / OS patches and restart",
            "kind": Maintenance.Kind.PERIODIC,
            "planned_start": start,
            "planned_end": start + timedelta(hours=hours),
        },
        [engine],
        author,
        Function.objects.filter(code="trading"),
    )
    notice = service.announce(planned, author)
    notices.approve(notice, approver)
    planned.refresh_from_db()
    return planned


def load(report: DemoReport) -> None:
    """Plan, announce and run last month's maintenance; announce the next one (idempotent)."""
    from mamori.guard.models import Notice, NoticeUpdate
    from mamori.guard.services import notices

    if Maintenance.objects.exists():
        return
    people = {u.username: u for u in User.objects.filter(username__in=["tanaka", "takahashi"])}
    if len(people) < 2:
        return
    author, approver = people["tanaka"], people["takahashi"]
    engine = _engine(author)
    if engine is None:
        return
    now = timezone.localtime()
    past = _announced(
        engine,
        author,
        approver,
        _at(now - timedelta(days=30), 2),
        2,
        ("マッチングエンジンの定期メンテナンス", "Periodic maintenance of the matching engine"),
    )
    # the demo tells last month's story: its notice went public seven days ahead
    published = past.planned_start - timedelta(days=7)
    Notice.objects.filter(maintenance=past).update(published_at=published)
    Maintenance.objects.filter(pk=past.pk).update(notice_published_at=published)
    past.refresh_from_db()
    service.start(past, author, past.planned_start)
    service.finish(past, author, past.planned_end)
    # ... and customers read, that evening, that it had ended
    ended = NoticeUpdate.objects.get(notice__maintenance=past, resolves=True)
    notices.approve(ended, approver)
    NoticeUpdate.objects.filter(pk=ended.pk).update(published_at=past.planned_end)
    _announced(
        engine,
        author,
        approver,
        _at(now + timedelta(days=10), 2),
        3,
        (
            "マッチングエンジンの定期メンテナンス（予定）",
            "Upcoming maintenance of the matching engine",
        ),
    )
    report.lines.append(
        "Maintenance (SRM 13): last month's matching-engine maintenance announced 7 days ahead "
        "and done, one upcoming — see /operations/maintenance/, /status/ and "
        "/status/maintenance.ics"
    )
