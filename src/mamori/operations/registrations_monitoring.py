"""What operating-status monitoring brings (SRM 21-1): pages, scopes, the probe and heartbeat
jobs, the link of a service in the audit log, and the feeds inside mamori that count as
heartbeats — the reconciliation run (its ``run_finished`` event) and the custody decider (its
journal) — each beating the heartbeat of its code when one is set up."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission
from mamori.events.bus import Event

log = logging.getLogger("mamori.operations")

#: The heartbeat codes of the feeds inside mamori.
RECONCILIATION = "reconciliation-run"
CUSTODY_DECIDER = "custody-decider"


def _can_view(request: HttpRequest) -> bool:
    return has_permission(request.user, "monitoring.view")


def _probes_job() -> object:
    from mamori.operations.services import monitoring_checks

    return monitoring_checks.run_due_probes()


def _heartbeats_job() -> object:
    from mamori.operations.services import monitoring_checks

    return monitoring_checks.check_heartbeats()


def _reconciliation_finished(event: Event) -> None:
    """A reconciliation run that finished (whatever it found) is the reconciliation's beat."""
    from mamori.operations.models import Heartbeat
    from mamori.operations.services import monitoring_checks

    if Heartbeat.objects.filter(code=RECONCILIATION).exists():
        try:
            monitoring_checks.beat(RECONCILIATION, event.occurred_at)
        except Exception:
            log.exception("heartbeat %s not recorded for %s", RECONCILIATION, event.event_id)


def _custody_decided() -> datetime | None:
    """Return when the custody decider last recorded a decision (its journal is in decision
    order, so the latest row by key is the latest decision)."""
    from mamori.custody.models import MonitorRecord

    latest: datetime | None = (
        MonitorRecord.objects.filter(kind="event")
        .order_by("-pk")
        .values_list("recorded_at", flat=True)
        .first()
    )
    return latest


def _service_url(object_id: str) -> str | None:
    from django.urls import reverse

    from mamori.operations.models import MonitoredService

    code = MonitoredService.objects.filter(pk=object_id).values_list("code", flat=True).first()
    return reverse("operations:monitored_service", args=[code]) if code else None


def register_monitoring() -> None:
    """Register everything operating-status monitoring brings."""
    from mamori.auditlog.links import register_link
    from mamori.core.navigation import register_page
    from mamori.core.scopes import register_scope
    from mamori.events.bus import subscribe
    from mamori.operations.services import monitoring_checks
    from mamori.scheduler.jobs import Job, register_job

    register_page(
        "operations",
        _("Monitored services (SRM 21-1)"),
        "operations:monitored_services",
        _can_view,
    )
    register_page(
        "operations", _("Monitoring alerts (SRM 21-1)"), "operations:monitoring_alerts", _can_view
    )
    register_scope("monitoring:alerts", _("send Alertmanager alerts"), "monitoring.alerts")
    register_scope(
        "monitoring:heartbeat", _("send a batch job's heartbeat"), "monitoring.heartbeat"
    )
    register_link("operations.service", _service_url)
    register_job(
        Job(
            "operations.monitoring_probes",
            _probes_job,
            _("run the probes of monitored services that are due"),
            every=timedelta(seconds=15),
            window=timedelta(minutes=2),
            alert_roles=(("operator",), ("dept_system_manager",)),
        )
    )
    register_job(
        Job(
            "operations.monitoring_heartbeats",
            _heartbeats_job,
            _("put down the services whose heartbeat missed its window"),
            every=timedelta(minutes=1),
            window=timedelta(minutes=5),
            alert_roles=(("operator",), ("dept_system_manager",)),
        )
    )
    subscribe(
        "mamori.reconciliation.run_finished",
        "operations-monitoring-reconciliation",
        _reconciliation_finished,
    )
    monitoring_checks.register_feed(CUSTODY_DECIDER, _custody_decided)
