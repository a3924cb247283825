"""What waits on a person in accounts: approval requests they may decide now (never their own,
SRM 4-6) and the access-review items they were given (ISM 23-1-1/3)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import AccessReviewItem, User
from mamori.core.tasks import Task, TaskKind, register_tasks


def _approvals(user: User) -> list[Task]:
    from mamori.accounts.approval_display import title_of
    from mamori.accounts.services.approvals import waiting_for

    return [
        Task(
            "approvals",
            f"approval:{request.pk}",
            title_of(request),
            reverse("accounts:approval", args=[request.pk]),
            timezone.localdate(request.expires_at),
            gettext("requested by %(person)s")
            % {"person": request.requester or gettext("a service")},
        )
        for request in waiting_for(user)
    ]


def _approval_count(user: User) -> int:
    from mamori.accounts.services.approvals import waiting_for

    return len(waiting_for(user))


def _reviews_waiting(user: User) -> QuerySet[AccessReviewItem]:
    return AccessReviewItem.objects.filter(
        reviewer_id=user.pk, outcome=AccessReviewItem.Outcome.PENDING, review__closed_at=None
    )


def _reviews(user: User) -> list[Task]:
    url = reverse("accounts:reviews")
    return [
        Task(
            "access_reviews",
            f"review-item:{item.pk}",
            gettext("Confirm the roles of %(person)s") % {"person": item.person},
            url,
            timezone.localdate(item.review.due_at),
        )
        for item in _reviews_waiting(user).select_related("person", "review")
    ]


def register() -> None:
    """Register the approvals and access reviews as kinds of task."""
    register_tasks(
        TaskKind("approvals", _("Approvals to decide"), _approvals, _approval_count, order=10)
    )
    register_tasks(
        TaskKind(
            "access_reviews",
            _("Access reviews"),
            _reviews,
            lambda user: _reviews_waiting(user).count(),
            order=20,
        )
    )
