"""Customer notices: written, approved, published, updated (SRM 10-6-3).

Who approves a notice (or an update) is chosen here, never by the author: the incident's
communications owner (:class:`IncidentRole` ``communications``); without one — or for a
maintenance notice — a person holding the CISO or system general manager role. The author
never approves their own. Approval publishes it on the public status page at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language, gettext

from mamori.accounts.models import RoleAssignment, User
from mamori.core.errors import Refused
from mamori.guard.models import (
    Function,
    Notice,
    NoticeService,
    NoticeUpdate,
    Publication,
    ServiceState,
)
from mamori.operations.models import Incident, IncidentRole, TimelineEntry

__all__ = [
    "APPROVER_ROLES",
    "HISTORY_DAYS",
    "NoticeRefused",
    "append_update",
    "approve",
    "approvers",
    "current",
    "draft",
    "past",
    "published",
    "service_states",
    "submit",
]

#: Who approves when the incident names no communications owner.
APPROVER_ROLES = ("ciso", "system_general_manager")
#: How far back the status page shows past notices.
HISTORY_DAYS = 90
#: Worst first: the state a service shows when several notices concern it.
_WORST = [
    ServiceState.OUTAGE,
    ServiceState.DEGRADED,
    ServiceState.MAINTENANCE,
    ServiceState.OPERATIONAL,
]


class NoticeRefused(Refused):
    """A notice refused: missing text, an unknown service, an approver who may not approve."""


def _required(values: dict[str, str]) -> None:
    missing = [(name, gettext("This field is required.")) for name, v in values.items() if not v]
    if missing:
        raise NoticeRefused(
            "text_required",
            gettext("A notice needs its title and text in Japanese and English."),
            fields=missing,
        )


def draft(
    *,
    kind: str,
    title_ja: str,
    title_en: str,
    body_ja: str,
    body_en: str,
    services: Iterable[tuple[Function, str]],
    by: User,
    incident: Incident | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Notice:
    """Write a notice as a draft: nothing is public until it is approved."""
    _required({"title_ja": title_ja, "title_en": title_en, "body_ja": body_ja, "body_en": body_en})
    if kind not in Notice.Kind.values:
        raise NoticeRefused("bad_kind", gettext("Unknown kind."), fields=[("kind", kind)])
    services = list(services)
    bad = [state for _f, state in services if state not in ServiceState.values]
    if bad:
        raise NoticeRefused(
            "bad_state",
            gettext("Unknown service state %(state)s.") % {"state": bad[0]},
            fields=[("services", bad[0])],
        )
    starts = starts_at or timezone.now()
    if ends_at is not None and ends_at <= starts:
        raise NoticeRefused(
            "bad_window",
            gettext("The notice must end after it starts."),
            fields=[("ends_at", gettext("Before the start."))],
        )
    with transaction.atomic():
        notice = Notice.objects.create(
            kind=kind,
            title_ja=title_ja.strip(),
            title_en=title_en.strip(),
            body_ja=body_ja.strip(),
            body_en=body_en.strip(),
            incident=incident,
            starts_at=starts,
            ends_at=ends_at,
            author=by,
        )
        for function, state in services:
            NoticeService.objects.create(notice=notice, function=function, state=state)
    return notice


def approvers(notice: Notice) -> list[User]:
    """Return who may approve ``notice`` (never its author). An incident notice goes to the
    incident's communications owner when that person holds an approving role (CISO, system
    general manager, CSIRT) and was not put in the role by the notice's author; otherwise,
    and for maintenance notices, to the active CISO and system general manager holders."""
    owner = _communications_owner(notice)
    if owner is not None and notice.kind == Notice.Kind.INCIDENT:
        people = [owner]
    else:
        people = _holders(APPROVER_ROLES)
    unique = {p.pk: p for p in people}
    return [p for pk, p in sorted(unique.items()) if pk != notice.author_id]


def _holders(roles: Iterable[str]) -> list[User]:
    return [
        a.user
        for a in RoleAssignment.objects.filter(
            role__code__in=list(roles), revoked_at__isnull=True, user__is_active=True
        ).select_related("user")
    ]


def _communications_owner(notice: Notice) -> User | None:
    """Return the incident's communications owner if they may approve its notices."""
    if notice.incident_id is None:
        return None
    held = (
        IncidentRole.objects.filter(
            incident_id=notice.incident_id, role=IncidentRole.Role.COMMUNICATIONS
        )
        .select_related("person")
        .first()
    )
    if held is None or held.person not in _holders((*APPROVER_ROLES, "csirt_member")):
        return None
    appointed = (
        TimelineEntry.objects.filter(
            incident_id=notice.incident_id, kind="role", data__role=IncidentRole.Role.COMMUNICATIONS
        )
        .order_by("-at", "-pk")
        .values_list("by_id", flat=True)
        .first()
    )
    return None if appointed == notice.author_id else held.person


def submit(notice: Notice, by: User) -> Notice:
    """Send a draft for approval."""
    if notice.publication != Publication.DRAFT:
        raise NoticeRefused("not_draft", gettext("Only a draft is sent for approval."), status=409)
    notice.publication = Publication.PENDING
    notice.save(update_fields=["publication"])
    return notice


def _check_approver(notice: Notice, author_id: int, by: User) -> None:
    if by.pk == author_id:
        raise NoticeRefused(
            "self_approval",
            gettext("The author cannot approve their own notice; someone else must."),
            status=409,
        )
    allowed = approvers(notice)
    if by.pk not in {p.pk for p in allowed}:
        if (
            notice.incident_id is not None
            and IncidentRole.objects.filter(
                incident_id=notice.incident_id, role=IncidentRole.Role.COMMUNICATIONS
            ).exists()
        ):
            message = gettext("Only the incident's communications owner approves its notices.")
        else:
            message = gettext(
                "Without a communications owner, the CISO or the system general manager approves."
            )
        raise NoticeRefused("not_approver", message, status=403)


def approve(target: Notice | NoticeUpdate, by: User) -> Notice | NoticeUpdate:
    """Approve a notice or an update sent for approval: it is published now. A resolving
    update ends its notice and sets every service back to operational."""
    notice = target.notice if isinstance(target, NoticeUpdate) else target
    if target.publication != Publication.PENDING:
        raise NoticeRefused(
            "not_pending", gettext("Only what waits for approval is approved."), status=409
        )
    _check_approver(notice, target.author_id, by)
    now = timezone.now()
    with transaction.atomic():
        target.publication = Publication.PUBLISHED
        target.approved_by = by
        target.published_at = now
        target.save(update_fields=["publication", "approved_by", "published_at"])
        if isinstance(target, NoticeUpdate) and target.resolves:
            notice.resolved = True
            if notice.ends_at is None or notice.ends_at > now:
                notice.ends_at = now
            notice.save(update_fields=["resolved", "ends_at"])
            notice.services.update(state=ServiceState.OPERATIONAL)
        if notice.incident is not None:
            from mamori.operations.services import incidents

            incidents.add_entry(
                notice.incident,
                "notice",
                gettext("Customer notice published: %(title)s")
                % {"title": notice.title(get_language() or "ja")},
                by,
                {"notice": notice.pk, "update": target.pk if target is not notice else None},
                at=now,
            )
    return target


def append_update(
    notice: Notice, text_ja: str, text_en: str, by: User, resolves: bool = False
) -> NoticeUpdate:
    """Write an update of a published notice; it waits for approval like the notice."""
    _required({"text_ja": text_ja, "text_en": text_en})
    if notice.publication != Publication.PUBLISHED:
        raise NoticeRefused(
            "not_published", gettext("Updates follow a published notice."), status=409
        )
    return NoticeUpdate.objects.create(
        notice=notice,
        text_ja=text_ja.strip(),
        text_en=text_en.strip(),
        resolves=resolves,
        author=by,
        publication=Publication.PENDING,
    )


def published() -> QuerySet[Notice]:
    """Return the published notices."""
    return Notice.objects.filter(publication=Publication.PUBLISHED)


def current(now: datetime | None = None) -> QuerySet[Notice]:
    """Return the published notices in force: started (or maintenance announced), not
    resolved, not ended."""
    now = now or timezone.now()
    return published().filter(resolved=False).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))


def past(now: datetime | None = None) -> QuerySet[Notice]:
    """Return the published notices of the last :data:`HISTORY_DAYS` days that are over."""
    now = now or timezone.now()
    since = now - timedelta(days=HISTORY_DAYS)
    return published().filter(starts_at__gte=since).filter(Q(resolved=True) | Q(ends_at__lte=now))


def service_states(now: datetime | None = None) -> list[dict[str, Any]]:
    """Return each service and its public state: the worst a notice in force gives it (only
    what was approved is shown; a service no notice concerns is operational)."""
    now = now or timezone.now()
    worst: dict[int, str] = {}
    in_force = current(now).filter(starts_at__lte=now)
    for row in NoticeService.objects.filter(notice__in=in_force):
        before = worst.get(row.function_id, ServiceState.OPERATIONAL)
        if _WORST.index(ServiceState(row.state)) < _WORST.index(ServiceState(before)):
            worst[row.function_id] = row.state
    return [
        {"function": f, "state": worst.get(f.pk, ServiceState.OPERATIONAL)}
        for f in Function.objects.order_by("code")
    ]
