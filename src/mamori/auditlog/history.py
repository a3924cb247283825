"""A record's history read from the audit log: who did what to it and when, what changed, the
reason given, and each entry's index in the log, whose inclusion proof its page shows
(ISM 23-1-2: changes are recorded and kept, and can be followed per record)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db.models import DateTimeField, Model, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mamori.auditlog.links import label_of
from mamori.auditlog.models import Entry

__all__ = [
    "SYSTEM",
    "Change",
    "Line",
    "action_label",
    "actor_names",
    "lines",
    "matching_person",
    "not_system",
    "of",
    "who",
]

#: The actor of scheduled jobs and workers (and ``system:…`` for the CLI, the demo, set-up).
SYSTEM = "system"


#: What the fields models name in ``audit_values`` are called (their own verbose name else).
FIELD_LABELS = {
    "owner": gettext_lazy("owner"),
    "custodian": gettext_lazy("custodian department"),
    "classification": gettext_lazy("classification"),
    "value": gettext_lazy("value"),
    "location_kind": gettext_lazy("location kind"),
    "approach": gettext_lazy("treatment approach"),
    "needs_review": gettext_lazy("needs review"),
    "status": gettext_lazy("status"),
    "cause": gettext_lazy("cause"),
    "lift_request": gettext_lazy("lift request"),
    "lifted_at": gettext_lazy("lifted at"),
    "owner_role": gettext_lazy("owner role"),
    "revoked_at": gettext_lazy("revoked at"),
    "is_active": gettext_lazy("active"),
    "department": gettext_lazy("department"),
    "manager": gettext_lazy("manager"),
    "outcome": gettext_lazy("outcome"),
    "reviewer": gettext_lazy("reviewer"),
}


@dataclass(frozen=True)
class Change:
    """One field of the record: its name and its value before and after."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Line:
    """One entry about the record, as a person reads it."""

    position: int
    at: datetime
    who: str
    action: str
    changes: tuple[Change, ...]
    reason: str


def not_system(rows: QuerySet[Entry]) -> QuerySet[Entry]:
    """Return ``rows`` without the entries of scheduled jobs and workers."""
    return rows.exclude(Q(actor=SYSTEM) | Q(actor__startswith=f"{SYSTEM}:"))


def matching_person(rows: QuerySet[Entry], text: str) -> QuerySet[Entry]:
    """Return the entries of the people whose user name or display name contains ``text``
    (any case), and of any actor whose name contains it (a token, a user name tried)."""
    from mamori.accounts.models import User

    usernames = User.objects.filter(
        Q(username__icontains=text) | Q(display_name__icontains=text)
    ).values_list("username", flat=True)
    return rows.filter(
        Q(actor__in=[f"user:{name}" for name in usernames]) | Q(actor__icontains=text)
    )


def actor_names(actors: Iterable[str]) -> dict[str, str]:
    """Return each ``user:…`` actor's person as shown (display name, else user name)."""
    from mamori.accounts.models import User

    usernames = {actor[5:] for actor in actors if actor.startswith("user:")}
    people = User.objects.filter(username__in=usernames)
    return {f"user:{person.username}": str(person) for person in people}


def who(actor: str, names: dict[str, str]) -> str:
    """Return who ``actor`` is, in words: a person's name, mamori's jobs, a sign-in attempt."""
    if actor in names:
        return names[actor]
    if actor.startswith("user:"):
        return actor[5:]
    if actor == SYSTEM or actor.startswith(f"{SYSTEM}:"):
        return _("mamori (scheduled jobs and tools)")
    if actor.startswith("anonymous:"):
        return _("%(name)s (not signed in)") % {"name": actor[10:]}
    if actor == "anonymous":
        return _("not signed in")
    return actor


def action_label(action: str) -> str:
    """Return what an entry's action says, in the reader's language."""
    labels = {
        "create": _("created"),
        "update": _("changed"),
        "delete": _("deleted"),
        "read": _("read"),
        "export": _("exported"),
        "signin.success": _("signed in"),
        "signin.failure": _("sign-in failed"),
        "signin.locked": _("sign-in locked"),
        "signin.throttled": _("sign-in throttled"),
        "approval.approve": _("approved"),
        "approval.reject": _("rejected"),
    }
    return labels.get(action, action)


def _shown(field: Any, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(field, DateTimeField) and (moment := parse_datetime(str(value))):
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    if field is not None and getattr(field, "flatchoices", None):
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _changes(object_type: str, changes: dict[str, list[Any]]) -> tuple[Change, ...]:
    try:
        model: type[Model] | None = apps.get_model(object_type)
    except (LookupError, ValueError):
        model = None
    found = []
    for name, (before, after) in changes.items():
        field: Any = None
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except LookupError:
                field = None
        label = FIELD_LABELS.get(name) or getattr(field, "verbose_name", None) or name
        label = str(label)
        found.append(Change(label, _shown(field, before), _shown(field, after)))
    return tuple(found)


def lines(object_type: str, object_id: str, limit: int = 50) -> list[Line]:
    """Return the newest ``limit`` entries about one record, newest first."""
    rows = list(
        Entry.objects.filter(object_type=object_type, object_id=object_id).order_by("-position")[
            :limit
        ]
    )
    names = actor_names(row.actor for row in rows)
    found = []
    for row in rows:
        details = json.loads(row.body).get("details") or {}
        found.append(
            Line(
                row.position,
                row.at,
                who(row.actor, names),
                action_label(row.action),
                _changes(object_type, details.get("changes") or {}),
                str(details.get("reason") or ""),
            )
        )
    return found


def of(obj: Model, limit: int = 50) -> list[Line]:
    """Return the history of ``obj``."""
    return lines(label_of(obj), str(obj.pk), limit)
