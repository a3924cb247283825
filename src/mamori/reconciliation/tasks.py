"""What waits on a case's owner: the discrepancy cases they own that are not closed (ISM 34-2)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.core.tasks import Task, TaskKind, register_tasks
from mamori.reconciliation.models import Case


def _open_cases(user: User) -> QuerySet[Case]:
    return Case.objects.filter(owner_id=user.pk).exclude(status=Case.Status.CLOSED)


def _cases(user: User) -> list[Task]:
    return [
        Task(
            "reconciliation_cases",
            f"case:{case.pk}",
            gettext("Case %(number)s: %(kind)s %(asset)s")
            % {"number": case.pk, "kind": case.get_kind_display(), "asset": case.asset or ""},
            reverse("reconciliation:case", args=[case.pk]),
            detail=str(case.get_status_display()),
            late=case.status == Case.Status.OPEN and case.cause == Case.Cause.UNKNOWN,
        )
        for case in _open_cases(user)
    ]


def register() -> None:
    """Register the open cases as a kind of task."""
    register_tasks(
        TaskKind(
            "reconciliation_cases",
            _("Reconciliation cases"),
            _cases,
            lambda user: _open_cases(user).count(),
            order=50,
        )
    )
