"""What waits on a recipient: alerts they must acknowledge (the escalation runs until someone
does, ISM 27-3) and notifications they have not read (counted in the header on their own)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.core.tasks import Task, TaskKind, register_tasks
from mamori.notifications.models import Delivery, Notification


def _to_acknowledge(user: User) -> QuerySet[Notification]:
    mine = Delivery.objects.filter(user_id=user.pk).values("notification_id")
    return Notification.objects.filter(requires_ack=True, acknowledged_at__isnull=True, pk__in=mine)


def _alerts(user: User) -> list[Task]:
    return [
        Task(
            "alerts",
            f"alert:{notification.pk}",
            notification.title,
            reverse("notifications:detail", args=[notification.pk]),
            detail=str(notification.get_severity_display()),
            late=notification.severity == Notification.Severity.CRITICAL,
        )
        for notification in _to_acknowledge(user)
    ]


def unread(user: User) -> QuerySet[Delivery]:
    """Return ``user``'s in-app deliveries not yet read."""
    return Delivery.objects.filter(
        user_id=user.pk, channel=Delivery.Channel.IN_APP, read_at__isnull=True
    )


def _unread(user: User) -> list[Task]:
    return [
        Task(
            "unread",
            f"delivery:{delivery.pk}",
            delivery.notification.title,
            reverse("notifications:detail", args=[delivery.notification_id]),
            detail=timezone.localtime(delivery.notification.created_at).strftime("%Y-%m-%d %H:%M"),
        )
        for delivery in unread(user).select_related("notification").order_by("-id")[:50]
    ]


def register() -> None:
    """Register the alerts to acknowledge and the unread notifications as kinds of task."""
    register_tasks(
        TaskKind(
            "alerts",
            _("Alerts to acknowledge"),
            _alerts,
            lambda user: _to_acknowledge(user).count(),
            order=5,
        )
    )
    register_tasks(
        TaskKind(
            "unread",
            _("Unread notifications"),
            _unread,
            lambda user: unread(user).count(),
            order=90,
            in_badge=False,
            more_url="/notifications/",
        )
    )
