"""Reminders before due dates: each person is told, through the notifications, of every task
of theirs falling due within the next days — once per task and due date, however often the job
runs (a :class:`~mamori.notifications.models.Reminder` row, unique, is written in the same
transaction as the notification)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from mamori.accounts.models import User
from mamori.core.tasks import Task, tasks_for
from mamori.notifications.models import Reminder
from mamori.notifications.services import Recipient, notify

__all__ = ["REMINDER_DAYS", "send_reminders"]

log = logging.getLogger("mamori.notifications.reminders")

#: How many days before its due date a task is reminded of.
REMINDER_DAYS = 3


def _tasks_in(user: User, language: str) -> dict[tuple[str, str], Task]:
    with translation.override(language):
        return {(t.kind, t.key): t for group in tasks_for(user) for t in group.tasks}


def _remind(user: User, ja: Task, en: Task, now: datetime) -> bool:
    """Record and send one reminder; False when it was already sent."""
    assert ja.due is not None
    try:
        with transaction.atomic():
            if Reminder.objects.filter(user=user, kind=ja.kind, key=ja.key, due=ja.due).exists():
                return False
            notification = notify(
                "tasks.reminder",
                "info",
                (
                    f"期限が近づいています（{ja.due:%Y-%m-%d}）: {ja.title}",
                    f"Due on {en.due:%Y-%m-%d}: {en.title}",
                ),
                levels=[[Recipient(username=user.get_username())]],
                link=ja.url,
            )
            Reminder.objects.create(
                user=user,
                kind=ja.kind,
                key=ja.key,
                due=ja.due,
                notification=notification,
                sent_at=now,
            )
    except IntegrityError:  # another run sent it at the same moment
        return False
    return True


def send_reminders(now: datetime | None = None, days: int = REMINDER_DAYS) -> int:
    """Remind every active person of their tasks due from today to ``days`` days ahead that
    they were not yet reminded of; return how many reminders were sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    last = today + timedelta(days=days)
    sent = 0
    for user in User.objects.filter(is_active=True).order_by("pk"):
        english = _tasks_in(user, "en")
        for ident, task in _tasks_in(user, "ja").items():
            if task.due is None or not today <= task.due <= last or ident not in english:
                continue
            if _remind(user, task, english[ident], now):
                sent += 1
    log.info("%s reminder(s) of tasks due by %s sent", sent, last)
    return sent
