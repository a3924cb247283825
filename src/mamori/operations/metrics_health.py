"""mamori's own health in Prometheus' text format: a collector that reads the database at
scrape time (nothing is counted in process memory, so every worker answers the same).

Families (all prefixed ``mamori_``): custody decisions by action, approvals waiting, outbox
events not yet published, scheduler runs by job and status and the age of each job's last
success, audit-log size and the age of its latest checkpoint, open incidents by severity.
This is mamori's health (a control of kind *self*), not the exchange's operating status.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Count, Max
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

__all__ = ["FAMILIES", "DatabaseCollector", "registry"]

FAMILIES = (
    "mamori_custody_decisions",
    "mamori_approvals_waiting",
    "mamori_outbox_unpublished",
    "mamori_scheduler_job_runs",
    "mamori_scheduler_last_success_age_seconds",
    "mamori_auditlog_entries",
    "mamori_auditlog_checkpoint_size",
    "mamori_auditlog_checkpoint_age_seconds",
    "mamori_incidents_open",
)


def _age(now: datetime, then: datetime | None) -> float:
    return float("nan") if then is None else max((now - then).total_seconds(), 0.0)


class DatabaseCollector(Collector):
    """Read mamori's health from the database at every scrape."""

    def collect(self) -> Iterator[Metric]:
        """Yield every family of :data:`FAMILIES`."""
        from mamori.accounts.models import ApprovalRequest
        from mamori.auditlog.models import Checkpoint, Entry
        from mamori.custody.models import MonitorRecord
        from mamori.events.models import OutboxEvent
        from mamori.operations.models import Incident
        from mamori.scheduler.models import JobRun

        now = timezone.now()
        decisions = CounterMetricFamily(
            "mamori_custody_decisions",
            "Custody monitor decisions recorded, by action.",
            labels=["action"],
        )
        for row in (
            MonitorRecord.objects.filter(kind=MonitorRecord.Kind.EVENT)
            .values("action")
            .annotate(n=Count("pk"))
            .order_by("action")
        ):
            decisions.add_metric([row["action"] or "none"], row["n"])
        yield decisions
        yield GaugeMetricFamily(
            "mamori_approvals_waiting",
            "Approval requests waiting for a decision.",
            value=ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING).count(),
        )
        yield GaugeMetricFamily(
            "mamori_outbox_unpublished",
            "Events in the outbox not yet published to the bus.",
            value=OutboxEvent.objects.filter(published_at__isnull=True).count(),
        )
        runs = CounterMetricFamily(
            "mamori_scheduler_job_runs",
            "Scheduler runs recorded, by job and status.",
            labels=["job", "status"],
        )
        for row in JobRun.objects.values("job", "status").annotate(n=Count("pk")).order_by("job"):
            runs.add_metric([row["job"], row["status"]], row["n"])
        yield runs
        age = GaugeMetricFamily(
            "mamori_scheduler_last_success_age_seconds",
            "Seconds since each job's last successful run finished.",
            labels=["job"],
        )
        for row in (
            JobRun.objects.filter(status=JobRun.Status.SUCCEEDED)
            .values("job")
            .annotate(last=Max("finished_at"))
            .order_by("job")
        ):
            age.add_metric([row["job"]], _age(now, row["last"]))
        yield age
        last_entry = Entry.objects.aggregate(m=Max("position"))["m"]
        yield GaugeMetricFamily(
            "mamori_auditlog_entries",
            "Entries in the tamper-evident audit log (indexed).",
            value=0 if last_entry is None else last_entry + 1,
        )
        checkpoint = Checkpoint.objects.order_by("-size").first()
        yield GaugeMetricFamily(
            "mamori_auditlog_checkpoint_size",
            "Tree size of the latest signed checkpoint.",
            value=0 if checkpoint is None else checkpoint.size,
        )
        yield GaugeMetricFamily(
            "mamori_auditlog_checkpoint_age_seconds",
            "Seconds since the latest signed checkpoint (NaN: none yet).",
            value=_age(now, None if checkpoint is None else checkpoint.issued_at),
        )
        incidents = GaugeMetricFamily(
            "mamori_incidents_open",
            "Incidents not closed, by severity.",
            labels=["severity"],
        )
        for row in (
            Incident.objects.exclude(status=Incident.Status.CLOSED)
            .filter(drill=False)
            .values("severity")
            .annotate(n=Count("pk"))
            .order_by("severity")
        ):
            incidents.add_metric([row["severity"] or "none"], row["n"])
        yield incidents


def registry() -> CollectorRegistry:
    """Return a registry holding only the database collector (one per scrape)."""
    found = CollectorRegistry(auto_describe=False)
    found.register(DatabaseCollector())
    return found
