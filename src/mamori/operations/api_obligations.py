"""API of reporting obligations (SRM 6-1-3, 7-3; ISM 8-1-3, 9-3), mounted at ``/api/operations``.

``GET /api/operations/obligations`` (scope ``incidents:read``) gives every report still to be
sent, soonest first, with its due time and the seconds left (negative once overdue).
``POST /api/operations/obligations/{id}/sent`` (scope ``incidents:write``) records that it was
sent: ``sent_by`` (a username) is required — without it the answer is 422 ``sender_required``
— ``sent_at`` defaults to the time of the call; ``channel`` and ``reference`` say how.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status

from mamori.accounts.models import User
from mamori.core.api import acting_person, authenticated, refusals
from mamori.operations.models import Obligation
from mamori.operations.services import obligations

__all__ = ["router"]

router = Router(tags=["operations"])


class ObligationOut(Schema):
    """A report an incident owes: to whom, which stage, when due, seconds left, whether sent."""

    id: int
    incident: str
    drill: bool
    name: str
    recipient: str
    stage: str
    status: str
    due_at: str
    seconds_left: int
    sent_at: str | None
    sent_by: str | None
    channel: str
    reference: str


class ObligationSentIn(Schema):
    """Who sent the report (a username; required), when (default: now), how."""

    sent_by: str | None = None
    sent_at: datetime | None = None
    channel: str = ""
    reference: str = ""


def _out(obligation: Obligation) -> dict[str, Any]:
    return {
        "id": obligation.pk,
        "incident": obligation.incident.reference,
        "drill": obligation.incident.drill,
        "name": obligation.name,
        "recipient": obligation.recipient,
        "stage": obligation.stage,
        "status": obligation.status,
        "due_at": obligation.due_at.isoformat(),
        "seconds_left": obligations.seconds_left(obligation),
        "sent_at": obligation.sent_at.isoformat() if obligation.sent_at else None,
        "sent_by": obligation.sent_by.get_username() if obligation.sent_by else None,
        "channel": obligation.channel,
        "reference": obligation.submission_reference,
    }


@router.get(
    "/obligations", response={200: list[ObligationOut]}, auth=authenticated("incidents:read")
)
def list_obligations(request: HttpRequest) -> list[dict[str, Any]]:
    """Return every report still to be sent, soonest due first."""
    return [_out(o) for o in obligations.open_obligations()]


@router.post(
    "/obligations/{obligation_id}/sent",
    response={200: ObligationOut, **refusals(404, 409, 422)},
    auth=authenticated("incidents:write"),
)
def mark_sent(
    request: HttpRequest, obligation_id: int, payload: ObligationSentIn
) -> Status[dict[str, Any]]:
    """Record that the report was sent, by whom and when."""
    by = acting_person(request, "incidents.manage")
    obligation = get_object_or_404(Obligation.objects.select_related("incident"), pk=obligation_id)
    sender = None
    if payload.sent_by:
        sender = User.objects.filter(username=payload.sent_by, is_active=True).first()
        if sender is None:
            raise obligations.ObligationRefused(
                "unknown_sender",
                _("No active person is called '%(name)s'.") % {"name": payload.sent_by},
                fields=[("sent_by", _("Unknown person."))],
            )
    done = obligations.mark_sent(
        obligation,
        sender,
        payload.sent_at or timezone.now(),
        by,
        channel=payload.channel,
        reference=payload.reference,
    )
    return Status(200, _out(done))
