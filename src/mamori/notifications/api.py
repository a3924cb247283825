"""API of notifications: services raise alerts; people list and acknowledge theirs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from mamori.accounts.models import User
from mamori.core.api import Pagination, authenticated, people_only, refusals
from mamori.core.errors import Refused
from mamori.core.scopes import SIGNED_IN
from mamori.notifications import services
from mamori.notifications.models import Notification

__all__ = ["router"]

router = Router(tags=["notifications"])


class RecipientIn(Schema):
    """Everyone holding a role, optionally in one department."""

    role: str
    department: str | None = None


class NotifyIn(Schema):
    """An alert raised by a service."""

    topic: str = Field(pattern=r"^[a-z0-9_.-]+$", max_length=100)
    severity: str = Field(pattern=r"^(info|warning|critical)$")
    title_ja: str = Field(min_length=1, max_length=300)
    title_en: str = Field(min_length=1, max_length=300)
    body_ja: str = ""
    body_en: str = ""
    levels: list[list[RecipientIn]] = Field(min_length=1)
    requires_ack: bool = False
    escalate_after_seconds: int | None = Field(default=None, ge=60)
    link: str = Field(
        default="",
        max_length=500,
        description="A path in mamori (/custody/) or an https address on one of its hosts.",
    )


class NotificationOut(Schema):
    """A notification and whether it was acknowledged."""

    id: int
    topic: str
    severity: str
    title_ja: str
    title_en: str
    level: int
    requires_ack: bool
    created_at: datetime
    acknowledged_at: datetime | None


@router.post(
    "",
    response={201: NotificationOut, **refusals(400, 422)},
    auth=authenticated("notifications:send"),
)
def raise_notification(request: HttpRequest, body: NotifyIn) -> Status[Notification]:
    """Raise a notification to the responsible people, delivered at once."""
    levels = [[services.Recipient(r.role, r.department) for r in level] for level in body.levels]
    try:
        services.check_recipients(levels)
        notification = services.notify(
            body.topic,
            body.severity,
            (body.title_ja, body.title_en),
            (body.body_ja, body.body_en),
            levels,
            requires_ack=body.requires_ack,
            escalate_after=timedelta(seconds=body.escalate_after_seconds)
            if body.escalate_after_seconds
            else None,
            link=body.link,
        )
    except services.NotificationRefused as exc:
        # the service names its field; the answer names it where the request holds it
        location = f"body.body.{exc.field}"
        raise Refused(exc.code, exc.message, fields=[(location, exc.message)]) from None
    except ValueError as exc:
        raise Refused("bad_notification", str(exc), status=400) from None
    return Status(201, notification)


@router.get(
    "/mine", response={200: list[NotificationOut], **refusals(422)}, auth=people_only(SIGNED_IN)
)
@paginate(Pagination)
def mine(request: HttpRequest) -> QuerySet[Notification]:
    """List the signed-in person's notifications."""
    return Notification.objects.filter(deliveries__user_id=request.user.pk or 0 or 0).distinct()


@router.post(
    "/{notification_id}/acknowledge",
    response={200: NotificationOut, **refusals(403, 404, 422)},
    auth=people_only(SIGNED_IN),
)
def acknowledge(request: HttpRequest, notification_id: int) -> Any:
    """Acknowledge a notification addressed to the signed-in person."""
    notification = get_object_or_404(Notification, pk=notification_id)
    person = request.auth  # type: ignore[attr-defined]
    assert isinstance(person, User)
    try:
        services.acknowledge(notification, person)
    except PermissionError:
        raise Refused(
            "not_recipient", _("only a recipient can acknowledge a notification"), status=403
        ) from None
    notification.refresh_from_db()
    return notification
