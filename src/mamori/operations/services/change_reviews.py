"""The post-change review (SRM 22): the quality after a change, seen from the incidents and
alerts on the systems it touched since its release, concluded and signed by the system
managers of those systems within the set number of days.

An incident is on a touched system when its affected systems, its location or a link of it
name the system's code or one of its names.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from mamori.accounts.models import User
from mamori.operations.models import Change, Incident, IncidentLink, PostChangeReview, System
from mamori.operations.services.changes import ChangeRefused, released_at, setting

__all__ = ["incidents_since", "managers", "open_review", "sign", "signed_by_all"]


def _names(system: System) -> list[str]:
    return [n for n in (system.code, system.name_ja, system.name_en) if n]


def incidents_since(change: Change, since: datetime) -> list[Incident]:
    """The incidents (alerts raise incidents too) on the touched systems since ``since``."""
    systems = list(change.systems.all())
    names = {n.lower() for s in systems for n in _names(s)}
    linked = IncidentLink.objects.filter(
        Q(object_type="operations.system", object_key__in=[s.code for s in systems])
        | Q(object_type="operations.change", object_key=change.reference)
    ).values_list("incident_id", flat=True)
    query = Q(pk__in=linked)
    for system in systems:
        for name in _names(system):
            query |= Q(location__icontains=name)
    found = []
    for incident in Incident.objects.filter(detected_at__gte=since, drill=False).order_by(
        "detected_at"
    ):
        on_list = {str(s).lower() for s in incident.systems} & names
        if on_list or Incident.objects.filter(query, pk=incident.pk).exists():
            found.append(incident)
    return found


def managers(change: Change) -> list[User]:
    """The system managers of the touched systems (the people who sign the review)."""
    seen: dict[int, User] = {}
    for system in change.systems.select_related("system_manager"):
        if system.system_manager is not None:
            seen[system.system_manager.pk] = system.system_manager
    return list(seen.values())


def open_review(change: Change) -> PostChangeReview:
    """Open the review of a released change, due the set number of days after release."""
    released = released_at(change) or timezone.now()
    review, _created = PostChangeReview.objects.get_or_create(
        change=change,
        defaults={
            "released_at": released,
            "due_on": timezone.localdate(released) + timedelta(days=setting().review_within_days),
        },
    )
    return review


def _incident_row(incident: Incident) -> dict[str, Any]:
    return {
        "reference": incident.reference,
        "title": incident.title,
        "severity": incident.severity,
        "source": incident.source,
        "detected_at": incident.detected_at.isoformat(),
    }


def signed_by_all(review: PostChangeReview) -> bool:
    """Say whether every system manager of the touched systems has signed."""
    signed = {s["username"] for s in review.signatures}
    needed = {u.get_username() for u in managers(review.change)}
    return bool(signed) and needed <= signed


def sign(review: PostChangeReview, by: User, conclusion: str) -> PostChangeReview:
    """Record the conclusion and sign as a system manager of a touched system; the review is
    complete once all of them signed. The incidents seen are kept with it."""
    allowed = {u.pk for u in managers(review.change)}
    if by.pk not in allowed:
        raise ChangeRefused(
            "not_the_system_manager",
            gettext("Only the system manager of a touched system signs the review (SRM 22)."),
            status=403,
        )
    if not conclusion.strip() and not review.conclusion:
        raise ChangeRefused(
            "conclusion_required",
            gettext("Write the conclusion on the quality after the change."),
            fields=[("conclusion", gettext("This field is required."))],
        )
    with transaction.atomic():
        review = PostChangeReview.objects.select_for_update().get(pk=review.pk)
        if any(s["username"] == by.get_username() for s in review.signatures):
            raise ChangeRefused("already_signed", gettext("You have already signed."), status=409)
        now = timezone.now()
        if conclusion.strip():
            review.conclusion = conclusion.strip()
        review.incidents = [
            _incident_row(i) for i in incidents_since(review.change, review.released_at)
        ]
        review.signatures = [
            *review.signatures,
            {"username": by.get_username(), "at": now.isoformat()},
        ]
        if signed_by_all(review):
            review.completed_at = now
        review.save(update_fields=["conclusion", "incidents", "signatures", "completed_at"])
    return review
