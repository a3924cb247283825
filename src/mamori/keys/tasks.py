"""What waits on people for leak response (ISM 30): a key holder's scheduled drills; for
those who manage the key inventory, a drill falling due with none scheduled (ISM 30-3) and a
runbook flagged for revision by a custody-system change (ISM 30-2)."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.accounts.services.roles import has_permission
from mamori.core.tasks import Task, TaskKind, register_tasks

#: A drill falling due within this many days is shown to those who manage the inventory.
DRILL_NOTICE_DAYS = 30


def _tasks(user: User) -> list[Task]:
    from mamori.keys import leak
    from mamori.keys.models import Drill, ResponseDocument

    tasks = []
    today = timezone.localdate()
    for drill in Drill.objects.filter(status=Drill.Status.SCHEDULED, participants=user.pk):
        tasks.append(
            Task(
                "keys_leak",
                f"drill:{drill.pk}",
                gettext("Leak-response drill: %(scenario)s") % {"scenario": drill.scenario[:80]},
                reverse("keys:drill", args=[drill.pk]),
                drill.scheduled_for,
                gettext("ISM 30-3: you are invited as a key holder"),
            )
        )
    if not has_permission(user, "keys.manage"):
        return tasks
    due = leak.drill_due_on()
    scheduled = Drill.objects.filter(status=Drill.Status.SCHEDULED).exists()
    if not scheduled and due <= today + timedelta(days=DRILL_NOTICE_DAYS):
        tasks.append(
            Task(
                "keys_leak",
                f"drill-due:{due.isoformat()}",
                gettext("A leak-response drill with the key holders is due"),
                reverse("keys:leak"),
                due,
                gettext("ISM 30-3: schedule it"),
            )
        )
    runbook = ResponseDocument.objects.filter(
        kind=ResponseDocument.Kind.RUNBOOK, revision_required_since__isnull=False
    ).first()
    if runbook is not None and runbook.revision_required_since is not None:
        since = timezone.localdate(runbook.revision_required_since)
        tasks.append(
            Task(
                "keys_leak",
                f"runbook-revision:{since.isoformat()}",
                gettext("The leak-response runbook needs revising"),
                reverse("keys:leak"),
                since + timedelta(days=leak.FLAG_GRACE_DAYS),
                "; ".join(
                    f"{leak.reason_shown(r['reason'])}: {r['what']}"
                    for r in runbook.revision_reasons[-3:]
                ),
            )
        )
    return tasks


def register() -> None:
    """Register leak-response drills and revisions as a kind of task."""
    register_tasks(
        TaskKind("keys_leak", _("Leak response"), _tasks, lambda user: len(_tasks(user)), order=56)
    )
