"""Post-incident reviews (SRM 9; SRM 8-4, ISM 15-3 for the lessons): required before a severe
incident closes, approved by the commander (not the author), with follow-up actions tracked
until done, risks raised or re-rated in the risk register and the lesson shared to the incident
catalogue.

The lesson is kept minimal on purpose: the catalogue (``risk.ExternalIncident``) holds other
firms' incidents; the exchange's own lesson is one more entry whose code starts ``own-`` and
whose firm is the exchange itself (:data:`OWN_FIRM`), so the risk analysis that reads the
catalogue reads it too.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from mamori.accounts.models import User
from mamori.core.errors import Refused
from mamori.operations.models import (
    FollowUpAction,
    Incident,
    PlanDrill,
    PostIncidentReview,
    ReviewRisk,
    ReviewSetting,
    TimelineEntry,
)
from mamori.operations.services.incidents import IncidentRefused, add_entry

__all__ = [
    "OWN_FIRM",
    "ReviewRefused",
    "add_action",
    "approve",
    "close_check",
    "complete_action",
    "link_risk",
    "overdue_actions",
    "review_required",
    "save",
    "setting",
    "share_lesson",
    "start",
    "submit",
]

#: The firm named on the exchange's own lessons in the incident catalogue.
OWN_FIRM = "自社 / own exchange"
#: Severities from the most to the least severe.
ORDER = [s.value for s in Incident.Severity]
TEXTS = ("cause", "timeline_summary", "worked", "did_not_work")


class ReviewRefused(Refused):
    """A review step refused (incomplete, not the commander, already approved)."""


def setting() -> ReviewSetting:
    """Return the review setting (defaults when none is saved: S2 and above, no drills)."""
    return ReviewSetting.objects.order_by("pk").first() or ReviewSetting()


def review_required(incident: Incident) -> bool:
    """Say whether ``incident`` needs an approved review before it closes (SRM 9)."""
    rule = setting()
    if incident.drill and not rule.drills:
        return False
    return ORDER.index(peak_severity(incident)) <= ORDER.index(rule.min_severity)


def peak_severity(incident: Incident) -> str:
    """Return the most severe level ``incident`` has had: lowering its facts (or deleting a
    rule) after the fact does not spare it the review its worst moment called for."""
    seen = {incident.severity}
    for data in TimelineEntry.objects.filter(incident=incident, kind="severity").values_list(
        "data", flat=True
    ):
        seen.update(str(data.get(k, "")) for k in ("before", "after") if data.get(k) in ORDER)
    return min(seen, key=ORDER.index)


def close_check(incident: Incident) -> None:
    """Refuse closing a severe incident until its review is approved (registered as a close
    check of :func:`mamori.operations.services.incidents.change_status`)."""
    if not review_required(incident):
        return
    review = PostIncidentReview.objects.filter(incident=incident).first()
    if review is None or review.status != PostIncidentReview.Status.APPROVED:
        raise IncidentRefused(
            "review_required",
            gettext(
                "%(reference)s is %(severity)s: its post-incident review must be approved "
                "before it closes."
            )
            % {"reference": incident.reference, "severity": peak_severity(incident)},
            status=409,
        )


def start(incident: Incident, by: User) -> PostIncidentReview:
    """Return the review of ``incident``, begun by ``by`` if there is none yet."""
    review, created = PostIncidentReview.objects.get_or_create(
        incident=incident, defaults={"author": by}
    )
    if created:
        add_entry(incident, "review", gettext("Post-incident review begun"), by)
    return review


def _refuse_if_approved(review: PostIncidentReview) -> None:
    if review.status == PostIncidentReview.Status.APPROVED:
        raise ReviewRefused(
            "review_approved", gettext("The review is approved; it no longer changes."), status=409
        )


def save(review: PostIncidentReview, data: dict[str, str], by: User) -> PostIncidentReview:
    """Save the review's texts; a submitted review returns to draft when changed."""
    _refuse_if_approved(review)
    for name in TEXTS:
        if name in data:
            setattr(review, name, (data[name] or "").strip())
    review.status = PostIncidentReview.Status.DRAFT
    review.save()
    add_entry(
        review.incident, "review", gettext("Post-incident review saved"), by, {"step": "saved"}
    )
    return review


def submit(review: PostIncidentReview, by: User) -> PostIncidentReview:
    """Send the review to the commander; refused naming each empty part."""
    _refuse_if_approved(review)
    missing = [name for name in TEXTS if not getattr(review, name).strip()]
    if missing:
        raise ReviewRefused(
            "review_incomplete",
            gettext("The review is incomplete: fill in %(parts)s.")
            % {
                "parts": ", ".join(
                    str(getattr(PostIncidentReview._meta.get_field(n), "verbose_name", n))
                    for n in missing
                )
            },
            fields=[(n, gettext("This field is required.")) for n in missing],
        )
    review.status = PostIncidentReview.Status.SUBMITTED
    review.save(update_fields=["status"])
    add_entry(
        review.incident,
        "review",
        gettext("Post-incident review submitted"),
        by,
        {"step": "submitted"},
    )
    return review


def approve(review: PostIncidentReview, by: User) -> PostIncidentReview:
    """Approve the review: only the incident's commander, who is not its author, may."""
    _refuse_if_approved(review)
    if review.status != PostIncidentReview.Status.SUBMITTED:
        raise ReviewRefused("review_not_submitted", gettext("Submit the review first."))
    if review.incident.commander_id != by.pk:
        raise ReviewRefused(
            "not_commander",
            gettext("Only the incident's commander approves its review."),
            status=403,
        )
    wrote = TimelineEntry.objects.filter(
        incident=review.incident, kind="review", by=by, data__step__in=("saved", "submitted")
    ).exists()
    if review.author_id == by.pk or wrote:
        raise ReviewRefused(
            "author_approves",
            gettext(
                "Whoever wrote or submitted a review does not approve it; the commander must "
                "be another."
            ),
            status=403,
        )
    review.status = PostIncidentReview.Status.APPROVED
    review.approved_by = by
    review.approved_at = timezone.now()
    review.save(update_fields=["status", "approved_by", "approved_at"])
    add_entry(review.incident, "review", gettext("Post-incident review approved"), by)
    return review


def add_action(
    title: str,
    owner: User,
    due_on: date,
    by: User,
    *,
    review: PostIncidentReview | None = None,
    drill: PlanDrill | None = None,
) -> FollowUpAction:
    """Add a follow-up action of a review or a drill, tracked until done."""
    if not title.strip():
        raise ReviewRefused(
            "action_title",
            gettext("Say what is to be done."),
            fields=[("title", gettext("This field is required."))],
        )
    action = FollowUpAction.objects.create(
        review=review, drill=drill, title=title.strip()[:300], owner=owner, due_on=due_on
    )
    incident = review.incident if review else (drill.incident if drill else None)
    if incident is not None:
        add_entry(
            incident,
            "action",
            gettext("Action: %(title)s (%(owner)s, due %(due)s)")
            % {"title": action.title, "owner": owner.get_username(), "due": due_on.isoformat()},
            by,
        )
    return action


def complete_action(action: FollowUpAction, by: User) -> FollowUpAction:
    """Mark an action done (once)."""
    if action.done_at is None:
        action.done_at = timezone.now()
        action.save(update_fields=["done_at"])
    return action


def overdue_actions(today: date | None = None) -> QuerySet[FollowUpAction]:
    """The actions not done whose due date has passed."""
    today = today or timezone.localdate()
    return FollowUpAction.objects.filter(done_at__isnull=True, due_on__lt=today)


def link_risk(
    review: PostIncidentReview,
    scenario: Any,
    change: str,
    note: str,
    by: User,
    rating: tuple[str, int, int] | None = None,
) -> ReviewRisk:
    """Record a risk the review raised or re-rated; a re-rating with ``rating`` (stage,
    likelihood, impact) goes through the risk register's own service (ISM 12-3)."""
    from mamori.engines.risk import Rating
    from mamori.risk.services import scenarios

    if change not in ReviewRisk.Change.values:
        raise ReviewRefused(
            "unknown_change", gettext("Say whether the risk was raised or re-rated.")
        )
    with transaction.atomic():
        if change == ReviewRisk.Change.RERATED and rating is not None:
            stage, likelihood, impact = rating
            scenarios.rate(
                scenario,
                stage,
                Rating(likelihood, impact),
                note or f"post-incident review {review.incident.reference}",
                by,
            )
        found, _created = ReviewRisk.objects.update_or_create(
            review=review, scenario=scenario, defaults={"change": change, "note": note.strip()}
        )
    return found


def share_lesson(review: PostIncidentReview, by: User) -> Any:
    """Add the review's lesson to the incident catalogue as the exchange's own (SRM 8-4)."""
    from mamori.risk.models import ExternalIncident

    if review.status != PostIncidentReview.Status.APPROVED:
        raise ReviewRefused(
            "review_not_approved", gettext("Share a lesson once the review is approved.")
        )
    if review.lesson_id:
        return review.lesson
    incident = review.incident
    summary = f"{review.cause}\n\n{review.did_not_work}".strip()
    with transaction.atomic():
        lesson, _created = ExternalIncident.objects.get_or_create(
            code=f"own-{incident.reference.lower()}",
            defaults={
                "firm": OWN_FIRM,
                "year": timezone.localtime(incident.detected_at).year,
                "name_ja": incident.title[:200],
                "name_en": incident.title[:200],
                "summary_ja": summary,
                "summary_en": summary,
            },
        )
        review.lesson = lesson
        review.save(update_fields=["lesson"])
    add_entry(incident, "review", gettext("Lesson shared to the incident catalogue"), by)
    return lesson
