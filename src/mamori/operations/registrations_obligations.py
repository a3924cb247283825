"""What reporting obligations bring (SRM 6-1-3, 7-3; ISM 8-1-3, 9-3): the check of reports on
time, the catch-up and escalation job, the hooks that make obligations when an incident is
reported or changes, the pages, the API scopes and the dashboard card."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["register_obligations"]


def _can_view(request: HttpRequest) -> bool:
    from mamori.accounts.services.roles import has_permission

    return has_permission(request.user, "incidents.view")


def _catch_up() -> dict[str, int]:
    from mamori.operations.services import obligations

    return obligations.catch_up()


def _evaluate(pk: int) -> None:
    from mamori.operations.models import Incident
    from mamori.operations.services import obligations

    incident = Incident.objects.filter(pk=pk).first()
    if incident is not None:
        obligations.evaluate(incident)


def _incident_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Re-evaluate the incident's obligations once its change commits (kind, severity, personal
    data, unauthorised access or detection time may have changed)."""
    if kwargs.get("raw"):
        return
    pk = instance.pk
    transaction.on_commit(lambda: _evaluate(pk))


def _incident_reported(event: Any) -> None:
    from mamori.operations.models import Incident
    from mamori.operations.services import obligations

    incident = Incident.objects.filter(reference=event.data.get("incident")).first()
    if incident is not None:
        obligations.evaluate(incident)


def _widget(request: HttpRequest) -> dict[str, Any] | None:
    """The nearest report due with its countdown, how many are open and overdue."""
    if not _can_view(request):
        return None
    from mamori.operations.services import obligations

    now = timezone.now()
    due = obligations.open_obligations()
    return {
        "next": due.first(),
        "open": due.count(),
        "overdue": due.filter(due_at__lt=now).count(),
        "now": now,
    }


def _panel() -> None:
    """Add the "Reporting obligations" section to the incident page."""
    from mamori.operations import panels
    from mamori.operations.views_obligations import panel_context

    panels.register_panel("operations/_obligations_panel.html", panel_context, 20)


def register_obligations() -> None:
    """Register everything reporting obligations bring."""
    from mamori.core.compliance import register_check
    from mamori.core.dashboard import Widget, register_widget
    from mamori.core.navigation import register_page
    from mamori.core.scopes import register_scope
    from mamori.events.bus import subscribe
    from mamori.operations import compliance_obligations
    from mamori.operations.models import Incident
    from mamori.scheduler.jobs import Job, register_job

    register_check(
        compliance_obligations.CHECK, compliance_obligations.reports_on_time, "mamori.operations"
    )
    register_job(
        Job(
            "operations.obligations",
            _catch_up,
            _("make, reschedule and escalate incidents' reports before they are due"),
            every=timedelta(minutes=5),
            window=timedelta(minutes=10),
            alert_roles=(("system_general_manager",), ("ciso",)),
        )
    )
    post_save.connect(_incident_saved, sender=Incident, dispatch_uid="operations-obligations")
    subscribe("mamori.operations.incident_reported", "operations-obligations", _incident_reported)
    register_page(
        "operations",
        _("Reports due (SRM 6-1-3, 7-3)"),
        "operations_obligations:overview",
        _can_view,
    )
    register_page("operations", _("Reporting rules"), "operations_obligations:rules", _can_view)
    register_scope("incidents:read", _("read incidents and the reports they owe"), "incidents.view")
    register_scope("incidents:write", _("record incidents' reports as sent"), "incidents.manage")
    register_widget(
        Widget("obligations", _("Reports due"), "operations/obligations_widget.html", _widget, 15)
    )
    _panel()
