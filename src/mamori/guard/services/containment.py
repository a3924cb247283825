"""Containment actions recorded on their incident (SRM 10-2).

:func:`record` is the one way an action is kept: a :class:`ContainmentAction`, and — when the
action was taken for an incident — a link from the incident to the record acted on and an
entry on the incident's timeline at the time of the action, in the same transaction.
:func:`halt_withdrawals` halts an asset's withdrawals through the custody monitor (lifting it
takes the custody halt's two approvals).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from mamori.accounts.models import User
from mamori.core.bilingual import in_both
from mamori.custody.models import Halt
from mamori.custody.services import halts
from mamori.guard.models import ContainmentAction
from mamori.operations.models import Incident
from mamori.operations.services import incidents

__all__ = ["ENTRY_KIND", "both", "halt_withdrawals", "record"]

#: The kind of timeline entry a containment action writes on its incident.
ENTRY_KIND = "containment"


def both(message: str, **params: Any) -> tuple[str, str]:
    """Return ``message`` in Japanese and English (:func:`mamori.core.bilingual.in_both`)."""
    return in_both(message, **params)


def record(
    kind: str,
    summary: tuple[str, str],
    by: User | None,
    *,
    incident: Incident | None = None,
    reason: str = "",
    object_type: str = "",
    object_key: str = "",
    at: datetime | None = None,
) -> ContainmentAction:
    """Keep one containment action (taken ``at``, now by default) with its ``summary`` in
    Japanese and English; on its incident, link the record and write the entry (in the
    language in use) at the same time."""
    now = at or timezone.now()
    summary_ja, summary_en = summary
    shown = summary_en if (translation.get_language() or "ja").startswith("en") else summary_ja
    with transaction.atomic():
        action = ContainmentAction.objects.create(
            incident=incident,
            kind=kind,
            summary_ja=summary_ja[:300],
            summary_en=summary_en[:300],
            reason=reason,
            object_key=object_key[:200],
            at=now,
            by=by,
        )
        if incident is not None:
            if object_type and object_key:
                incidents.link(incident, object_type, object_key, shown)
            incidents.add_entry(
                incident,
                ENTRY_KIND,
                shown,
                by,
                {"action": kind, "containment": action.pk, "object_key": object_key},
                at=now,
            )
    return action


def halt_withdrawals(
    asset: str, by: User, reason: str, incident: Incident | None = None
) -> tuple[Halt, ContainmentAction]:
    """Halt ``asset``'s withdrawals through the custody monitor and record it (SRM 10-2-3,
    ISM 27-3); the halt is lifted only by the custody halt's two approvals."""
    source = f"guard-{incident.reference}" if incident is not None else "guard"
    with transaction.atomic():
        halt = halts.order_halt(asset, by, reason, source=source)
        action = record(
            ContainmentAction.Kind.HALT,
            both(
                gettext_noop("Withdrawals of %(asset)s halted (%(halt)s)"),
                asset=asset,
                halt=halt.halt_id,
            ),
            by,
            incident=incident,
            reason=reason,
            object_type="custody.halt",
            object_key=str(halt.pk),
        )
    return halt, action
