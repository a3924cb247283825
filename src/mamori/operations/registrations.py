"""What operations brings: pages, scopes, jobs, checks, consumers, hooks, the demo step."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def _verification_url(object_id: str) -> str | None:
    """A verification has no page of its own: the audit log's page shows the latest."""
    return reverse("auditlog:entries")


def _incidents() -> None:
    """The incident register (issue 27): pages, scopes, links, consumers, the demo step."""
    from mamori.auditlog.links import register_link
    from mamori.core.demo import register_demo_loader
    from mamori.core.navigation import register_page
    from mamori.core.scopes import register_scope
    from mamori.events.bus import subscribe
    from mamori.operations import demo
    from mamori.operations.services import alerts, sources

    # each page declares its permission; the menu offers it to whoever holds it
    register_page("operations", _("Report an incident (SRM 7-3)"), "operations:report")
    register_page("operations", _("Incidents (SRM 6-1-3, 7-3)"), "operations:incidents")
    register_page("operations", _("Severity rules (SRM 6-1-3)"), "operations:rules")
    register_page("operations", _("Alert sources (SRM 7-3)"), "operations:sources")
    register_scope("incidents:read", _("read the incident register"), "incidents.view")
    register_scope("incidents:write", _("run incidents: status, notes"), "incidents.manage")
    register_scope("incidents:report", _("report an incident"), "incidents.report")
    register_link("operations.incident", _incident_url)
    register_link("auditlog.verification", _verification_url)
    for subject, consumer, handler in sources.consumers():
        subscribe(subject, consumer, handler)
    subscribe(alerts.SUBJECT, "operations-alert", sources.handle_alert)
    register_demo_loader("operations.halts", demo.load, order=505)


def _incident_url(object_id: str) -> str | None:
    from mamori.operations.models import Incident

    if not str(object_id).isdigit():  # a link typed by hand may name no incident
        return None
    reference = Incident.objects.filter(pk=object_id).values_list("reference", flat=True).first()
    return reverse("operations:incident", args=[reference]) if reference else None


def register() -> None:
    """Register everything operations brings."""
    _incidents()
    from mamori.operations.registrations_obligations import register_obligations

    register_obligations()
    from mamori.operations.registrations_bcp import register_bcp

    register_bcp()
    from mamori.operations.registrations_gate import register_gate

    register_gate()
    from mamori.operations.registrations_evidence import register_evidence

    register_evidence()
    from mamori.operations.registrations_maintenance import register_maintenance

    register_maintenance()
    from mamori.operations.registrations_changes import register_changes

    register_changes()
    from mamori.operations.registrations_cmdb import register_cmdb

    register_cmdb()
    from mamori.operations.registrations_monitoring import register_monitoring

    register_monitoring()
    from mamori.operations.registrations_status import register_status

    register_status()
    from mamori.operations.registrations_cmdb_import import register_cmdb_import

    register_cmdb_import()
