"""Raise notifications, deliver them, retry with backoff, escalate when unacknowledged.

``notify()`` records the notification and its first-level deliveries in the caller's
transaction and attempts them as soon as it commits ("at once", ISM 27-3). Failed attempts
are retried by :func:`deliver_due` (scheduled) with exponential backoff; a delivery that gives
up, or a notification needing acknowledgement that nobody acknowledges within its time, moves
to the next level of responsible people (:func:`escalate_due`).
"""

from __future__ import annotations

import fnmatch
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from mamori.accounts.models import Department, Role, RoleAssignment, User
from mamori.core import crypto
from mamori.core.errors import Refused
from mamori.notifications.channels import CHANNELS, DeliveryFailed
from mamori.notifications.models import Delivery, Notification, WebhookEndpoint
from mamori.notifications.webhooks import check_url

__all__ = [
    "MAX_ATTEMPTS",
    "NotificationRefused",
    "Recipient",
    "acknowledge",
    "add_webhook",
    "check_link",
    "check_recipients",
    "deliver",
    "deliver_due",
    "escalate_due",
    "notified_within",
    "notify",
    "recipients_of",
]

log = logging.getLogger("mamori.notifications")
MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 30
SEVERITY_ORDER = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Recipient:
    """Everyone holding ``role`` (in ``department``, or company-wide when None), or one person."""

    role: str = ""
    department: str | None = None
    username: str | None = None

    def as_data(self) -> dict[str, str | None]:
        """Return the JSON form stored on the notification."""
        if self.username:
            return {"user": self.username}
        return {"role": self.role, "department": self.department}


class NotificationRefused(Refused, ValueError):
    """A notification mamori will not raise; ``field`` names the value at fault (``link``,
    ``levels.0.1.role``) and the message says why (code ``bad_link`` or ``unknown_recipient``;
    ``fields`` names the field too)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        code = "bad_link" if field == "link" else "unknown_recipient"
        super().__init__(code, message, fields=[(field, message)])


def check_recipients(levels: list[list[Recipient]]) -> None:
    """Raise :class:`NotificationRefused` naming the first recipient whose role, department or
    person does not exist (an alert to nobody would be lost without a word)."""
    roles = set(Role.objects.values_list("code", flat=True))
    departments = set(Department.objects.values_list("code", flat=True))
    for i, level in enumerate(levels):
        for j, recipient in enumerate(level):
            where = f"levels.{i}.{j}"
            if recipient.username:
                if not User.objects.filter(username=recipient.username, is_active=True).exists():
                    raise NotificationRefused(
                        f"{where}.username",
                        _("No active person is called '%(name)s'.") % {"name": recipient.username},
                    )
                continue
            if recipient.role not in roles:
                raise NotificationRefused(
                    f"{where}.role",
                    _("There is no role '%(role)s'; the roles are: %(roles)s.")
                    % {"role": recipient.role, "roles": ", ".join(sorted(roles))},
                )
            if recipient.department and recipient.department not in departments:
                raise NotificationRefused(
                    f"{where}.department",
                    _("There is no department '%(department)s'.")
                    % {"department": recipient.department},
                )


def check_link(link: str) -> None:
    """Raise :class:`NotificationRefused` unless ``link`` is empty, a path in mamori
    (``/custody/``) or an https address on one of mamori's own hosts (``ALLOWED_HOSTS``):
    a notification must not carry a ``javascript:`` link or send its reader elsewhere."""
    if not link:
        return
    printable = link.isprintable() and not any(c.isspace() for c in link)
    absolute = link.startswith("https://")
    if not (
        printable
        and len(link) <= 500  # the column's length
        and (absolute or (link.startswith("/") and not link.startswith(("//", "/\\"))))
        and url_has_allowed_host_and_scheme(
            link, allowed_hosts=set(settings.ALLOWED_HOSTS), require_https=True
        )
    ):
        raise NotificationRefused(
            "link",
            _(
                "A link must be a path in mamori (starting with /) or an https:// address on "
                "one of mamori's own hosts, without spaces; got '%(link)s'."
            )
            % {"link": link[:100]},
        )


def recipients_of(level: list[dict[str, str | None]]) -> list[User]:
    """Return the active people one escalation level names, without duplicates."""
    query = Q(pk__in=[])
    named = [spec["user"] for spec in level if spec.get("user")]
    for spec in level:
        if spec.get("user"):
            continue
        clause = Q(role__code=spec["role"])
        if spec.get("department"):
            clause &= Q(department__code=spec["department"]) | Q(department__isnull=True)
        query |= clause
    user_ids = set(
        RoleAssignment.objects.filter(
            query, revoked_at__isnull=True, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    people = User.objects.filter(Q(pk__in=user_ids) | Q(username__in=named), is_active=True)
    return list(people.order_by("username"))


def _webhooks_for(notification: Notification) -> list[WebhookEndpoint]:
    chosen = []
    for endpoint in WebhookEndpoint.objects.filter(active=True):
        patterns = [p.strip() for p in endpoint.topics.split(",") if p.strip()]
        if not any(fnmatch.fnmatchcase(notification.topic, p) for p in patterns):
            continue
        if SEVERITY_ORDER[notification.severity] < SEVERITY_ORDER.get(endpoint.min_severity, 1):
            continue
        chosen.append(endpoint)
    return chosen


def _open_level(notification: Notification, now: datetime) -> list[Delivery]:
    rows: list[Delivery] = []
    people = recipients_of(notification.levels[notification.level])
    for person in people:
        rows.append(
            Delivery(
                notification=notification,
                level=notification.level,
                channel=Delivery.Channel.IN_APP,
                user=person,
                next_attempt_at=now,
            )
        )
        if person.email and settings.EMAIL_HOST:  # no SMTP configured: in-app only
            rows.append(
                Delivery(
                    notification=notification,
                    level=notification.level,
                    channel=Delivery.Channel.EMAIL,
                    user=person,
                    next_attempt_at=now,
                )
            )
    if notification.level == 0:
        for endpoint in _webhooks_for(notification):
            rows.append(
                Delivery(
                    notification=notification,
                    level=0,
                    channel=Delivery.Channel.WEBHOOK,
                    webhook=endpoint,
                    next_attempt_at=now,
                )
            )
    created = Delivery.objects.bulk_create(rows)
    if not people:
        log.warning(
            "notification #%s level %s names nobody: %s",
            notification.pk,
            notification.level,
            notification.levels[notification.level],
        )
    return created


def notified_within(topic: str, period: timedelta) -> bool:
    """Return whether a notification on ``topic`` was raised within ``period`` (to tell a
    standing condition once per period rather than at every occurrence)."""
    return Notification.objects.filter(
        topic=topic, created_at__gte=timezone.now() - period
    ).exists()


def notify(
    topic: str,
    severity: str,
    title: tuple[str, str],
    body: tuple[str, str] = ("", ""),
    levels: list[list[Recipient]] | None = None,
    requires_ack: bool = False,
    escalate_after: timedelta | None = None,
    link: str = "",
) -> Notification:
    """Record a notification for ``levels`` of recipients and deliver level 0 after commit."""
    if severity not in SEVERITY_ORDER:
        raise ValueError(f"severity must be info, warning or critical, got {severity!r}")
    if not levels or not levels[0]:
        raise ValueError("a notification needs at least one recipient at level 0")
    if requires_ack and escalate_after is None and len(levels) > 1:
        raise ValueError("escalation levels need escalate_after")
    check_link(link)
    now = timezone.now()
    with transaction.atomic():
        notification = Notification.objects.create(
            topic=topic,
            severity=severity,
            title_ja=title[0],
            title_en=title[1],
            body_ja=body[0],
            body_en=body[1],
            link=link,
            levels=[[r.as_data() for r in level] for level in levels],
            requires_ack=requires_ack,
            escalate_after_seconds=int(escalate_after.total_seconds()) if escalate_after else None,
            created_at=now,
            level_started_at=now,
        )
        deliveries = _open_level(notification, now)
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _deliver_ids(ids))
    return notification


def _deliver_ids(ids: list[int]) -> None:
    for delivery in Delivery.objects.filter(pk__in=ids).select_related(
        "notification", "user", "webhook"
    ):
        deliver(delivery)


def deliver(delivery: Delivery, now: datetime | None = None) -> bool:
    """Attempt one delivery now; record the outcome; return whether it was delivered."""
    now = now or timezone.now()
    if delivery.status != Delivery.Status.PENDING:
        return delivery.status == Delivery.Status.SENT
    try:
        CHANNELS[delivery.channel].send(delivery)
    except DeliveryFailed as exc:
        delivery.attempts += 1
        delivery.last_error = str(exc)[:500]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = Delivery.Status.GAVE_UP
        else:
            delay = BACKOFF_BASE_SECONDS * 2 ** (delivery.attempts - 1)
            delivery.next_attempt_at = now + timedelta(seconds=delay)
        delivery.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        log.warning(
            "delivery #%s (%s) failed, attempt %s: %s",
            delivery.pk,
            delivery.channel,
            delivery.attempts,
            exc,
        )
        if delivery.status == Delivery.Status.GAVE_UP:
            _escalate(delivery.notification, now, reason="delivery gave up")
        return False
    delivery.attempts += 1
    delivery.status = Delivery.Status.SENT
    delivery.sent_at = now
    delivery.last_error = ""
    delivery.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    return True


def deliver_due(now: datetime | None = None) -> int:
    """Retry every pending delivery whose time has come; return how many were delivered."""
    now = now or timezone.now()
    due = Delivery.objects.filter(
        status=Delivery.Status.PENDING, next_attempt_at__lte=now
    ).select_related("notification", "user", "webhook")
    return sum(deliver(delivery, now) for delivery in due)


def _escalate(notification: Notification, now: datetime, reason: str) -> bool:
    with transaction.atomic():
        locked = Notification.objects.select_for_update().get(pk=notification.pk)
        if locked.acknowledged_at or locked.level + 1 >= len(locked.levels):
            return False
        locked.level += 1
        locked.level_started_at = now
        locked.save(update_fields=["level", "level_started_at"])
        deliveries = _open_level(locked, now)
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _deliver_ids(ids))
    log.warning("notification #%s escalated to level %s: %s", notification.pk, locked.level, reason)
    return True


def escalate_due(now: datetime | None = None) -> int:
    """Escalate unacknowledged notifications whose level has waited long enough."""
    now = now or timezone.now()
    count = 0
    for notification in Notification.objects.filter(
        requires_ack=True, acknowledged_at__isnull=True, escalate_after_seconds__isnull=False
    ):
        waited = (now - notification.level_started_at).total_seconds()
        if waited >= (notification.escalate_after_seconds or 0) and _escalate(
            notification, now, reason="not acknowledged in time"
        ):
            count += 1
    return count


def acknowledge(notification: Notification, user: User) -> None:
    """Record that ``user``, one of its recipients, has taken charge of the notification."""
    if not notification.deliveries.filter(user=user).exists():
        raise PermissionError("only a recipient can acknowledge a notification")
    Notification.objects.filter(pk=notification.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=user
    )


def add_webhook(
    name: str, url: str, format: str = "json", topics: str = "*", min_severity: str = "warning"
) -> tuple[WebhookEndpoint, str]:
    """Register a webhook endpoint; return it and its signing secret (shown once)."""
    check_url(url)
    if format not in WebhookEndpoint.Format.values:
        raise ValueError(f"format must be slack or json, got {format!r}")
    if min_severity not in SEVERITY_ORDER:
        raise ValueError(
            f"minimum severity must be info, warning or critical, got {min_severity!r}"
        )
    secret = secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        name=name,
        url=url,
        format=format,
        topics=topics or "*",
        min_severity=min_severity,
        secret_encrypted=crypto.encrypt(secret),
    )
    return endpoint, secret
