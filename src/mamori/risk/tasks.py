"""What waits on a risk owner: the residual-risk sign-off of the plan in force (ISM 20-1) and
the treatment actions they own, by their due dates (ISM 19-1)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.core.tasks import Task, TaskKind, register_tasks
from mamori.risk.models import Assessment, SecurityPlan, SignOff, TreatmentAction
from mamori.risk.services.plans import owners


def _plans_to_sign(user: User) -> list[SecurityPlan]:
    """The newest approved plan of the assessment in force, when it names ``user`` as a risk
    owner and they hold no sign-off of it still valid (one query; whether the plan names them
    is read from its snapshot)."""
    newest = Assessment.objects.order_by("-started_at").values("pk")[:1]
    latest = SecurityPlan.objects.filter(
        assessment=OuterRef("assessment"), status=SecurityPlan.Status.APPROVED
    ).order_by("-version")
    valid = SignOff.objects.filter(plan=OuterRef("pk"), owner=user, expires_at__gt=timezone.now())
    plans = (
        SecurityPlan.objects.filter(
            assessment__in=newest,
            status=SecurityPlan.Status.APPROVED,
            pk=Subquery(latest.values("pk")[:1]),
        )
        .exclude(Exists(valid))
        .order_by("-version")[:1]
    )
    return [plan for plan in plans if user.username in owners(plan)]


def _signoffs(user: User) -> list[Task]:
    tasks = []
    for plan in _plans_to_sign(user):
        lapsed = (
            SignOff.objects.filter(plan=plan, owner=user).order_by("-expires_at").first()
        )  # signed once and expired: due the day it lapsed
        tasks.append(
            Task(
                "risk_signoff",
                f"signoff:{plan.pk}",
                gettext("Sign off your residual risks under security plan version %(version)s")
                % {"version": plan.version},
                reverse("risk:signoff"),
                timezone.localdate(lapsed.expires_at) if lapsed else None,
            )
        )
    return tasks


def _actions_open(user: User) -> QuerySet[TreatmentAction]:
    return TreatmentAction.objects.filter(owner=user, done=False)


def _actions(user: User) -> list[Task]:
    rows = _actions_open(user).select_related("treatment__scenario")
    return [
        Task(
            "risk_actions",
            f"action:{action.pk}",
            f"{action.treatment.scenario.code}: {action.text}",
            reverse("risk:scenario", args=[action.treatment.scenario_id]),
            action.due,
        )
        for action in rows
    ]


def register() -> None:
    """Register the sign-off and the treatment actions as kinds of task."""
    register_tasks(
        TaskKind(
            "risk_signoff",
            _("Residual-risk sign-off"),
            _signoffs,
            lambda user: len(_plans_to_sign(user)),
            order=30,
        )
    )
    register_tasks(
        TaskKind(
            "risk_actions",
            _("Treatment actions"),
            _actions,
            lambda user: _actions_open(user).count(),
            order=35,
        )
    )
