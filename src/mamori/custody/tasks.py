"""What waits on an asset's responsible person: the halts of their assets nobody has yet asked
to lift — find the cause, then ask for the lift with two approvals (ISM 27-3)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.core.tasks import Task, TaskKind, register_tasks
from mamori.custody.models import Asset, Halt


def _halts_waiting(user: User) -> QuerySet[Halt]:
    mine = Asset.objects.filter(responsible_id=user.pk).values("code")
    return Halt.objects.filter(
        scope="asset", key__in=mine, lifted_at__isnull=True, lift_request__isnull=True
    )


def _halts(user: User) -> list[Task]:
    url = reverse("custody:overview")
    return [
        Task(
            "custody_halts",
            f"halt:{halt.pk}",
            gettext("Withdrawals of %(asset)s are halted (rule %(rule)s)")
            % {"asset": halt.key, "rule": halt.rule},
            url,
            detail=gettext("since %(when)s")
            % {"when": timezone.localtime(halt.started_at).strftime("%Y-%m-%d %H:%M")},
            late=True,
        )
        for halt in _halts_waiting(user)
    ]


def register() -> None:
    """Register the halts of one's assets as a kind of task."""
    register_tasks(
        TaskKind(
            "custody_halts",
            _("Halts of my assets"),
            _halts,
            lambda user: _halts_waiting(user).count(),
            order=55,
        )
    )
