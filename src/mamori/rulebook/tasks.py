"""What waits on a control's owner: evidence others uploaded for their review, and the controls
their roles own whose periodic review is due or overdue or whose check fails (SRM 4-3,
ISM 4-3, 5-4)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import RoleAssignment, User
from mamori.core.tasks import Task, TaskKind, register_tasks
from mamori.rulebook.models import Control, ControlRun, Evidence

#: A review falling due within this many days is shown among the owner's tasks.
REVIEW_NOTICE_DAYS = 30


def _held_roles(user: User) -> QuerySet[RoleAssignment, int]:
    return RoleAssignment.objects.filter(user_id=user.pk, revoked_at__isnull=True).values_list(
        "role_id", flat=True
    )


def _evidence_waiting(user: User) -> QuerySet[Evidence]:
    return Evidence.objects.filter(
        review=Evidence.Review.PENDING, control__owner_role__in=_held_roles(user)
    ).exclude(uploaded_by_id=user.pk)


def _evidence(user: User) -> list[Task]:
    rows = _evidence_waiting(user).select_related("control", "uploaded_by")
    return [
        Task(
            "evidence",
            f"evidence:{item.pk}",
            f"{item.control.code}: {item.title}",
            reverse("rulebook:control", args=[item.control.code]) + f"#evidence-{item.pk}",
            detail=gettext("uploaded by %(person)s") % {"person": item.uploaded_by},
        )
        for item in rows
    ]


def _owned(user: User) -> list[Task]:
    """The owned controls needing their owner: one query, the newest run's outcome annotated."""
    newest = (
        ControlRun.objects.filter(control=OuterRef("pk"))
        .order_by("-started_at", "-pk")
        .values("outcome")[:1]
    )
    today = timezone.localdate()
    tasks = []
    for control in (
        Control.objects.filter(owner_role__in=_held_roles(user))
        .annotate(last_outcome=Subquery(newest))
        .order_by("code")
    ):
        url = reverse("rulebook:control", args=[control.code])
        failing = control.last_outcome not in (None, ControlRun.Outcome.PASS)
        if control.last_reviewed_at is None:
            due, why = None, gettext("never reviewed")
        else:
            due = timezone.localdate(control.last_reviewed_at) + timedelta(days=control.review_days)
            why = gettext("review due")
        review_needed = due is None or due <= today + timedelta(days=REVIEW_NOTICE_DAYS)
        if not (review_needed or failing):
            continue
        if failing:
            why = gettext("the last check failed") + (f" · {why}" if review_needed else "")
        tasks.append(
            Task(
                "controls",
                f"control:{control.code}",
                f"{control.code}: {control.name}",
                url,
                due if review_needed else None,
                why,
                late=failing or due is None,
            )
        )
    return tasks


def register() -> None:
    """Register the evidence to review and the owned controls as kinds of task."""
    register_tasks(
        TaskKind(
            "evidence",
            _("Evidence to review"),
            _evidence,
            lambda user: _evidence_waiting(user).count(),
            order=40,
        )
    )
    register_tasks(
        TaskKind("controls", _("My controls"), _owned, lambda user: len(_owned(user)), order=45)
    )
