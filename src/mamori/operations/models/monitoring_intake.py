"""Where a monitored service's state comes from (SRM 21-1: monitor operating status at all times).

Alerts pushed by Prometheus Alertmanager are matched by :class:`AlertRule` (label matchers kept
as data) to a service; probes mamori runs (:class:`Probe`, each result a :class:`ProbeResult`)
and heartbeats batch jobs push (:class:`Heartbeat`) turn a service down or up on their own.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel
from mamori.operations.models.incidents import Incident
from mamori.operations.models.monitoring import MonitoredService


class AlertRule(AuditedModel):
    """A rule kept as data: alerts whose labels match put a service in a state and may open an
    incident (SRM 21-1; SRM 7-3 for the incident)."""

    class Outcome(models.TextChoices):
        DEGRADED = "degraded", _("degraded")
        DOWN = "down", _("down")

    name = models.CharField(
        _("name"),
        max_length=200,
    )
    matchers = models.JSONField(
        _("label matchers"),
        default=dict,
        help_text=_('Labels an alert must carry, e.g. {"service": "order-api"}.'),
    )
    service = models.ForeignKey(
        MonitoredService,
        on_delete=models.CASCADE,
        related_name="alert_rules",
        verbose_name=_("monitored service"),
    )
    state = models.CharField(
        _("state while firing"),
        max_length=10,
        choices=Outcome.choices,
        default=Outcome.DOWN,
    )
    open_incident = models.BooleanField(
        _("open an incident"),
        default=True,
    )
    severity = models.CharField(
        _("severity"),
        max_length=2,
        choices=Incident.Severity.choices,
        blank=True,
    )
    kind = models.CharField(
        _("kind"),
        max_length=30,
        choices=Incident.Kind.choices,
        default=Incident.Kind.SYSTEM_FAILURE,
    )
    priority = models.PositiveIntegerField(
        _("priority"),
        default=100,
        help_text=_("Lower first; the first rule that matches decides."),
    )

    class Meta:
        ordering = ["priority", "pk"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return self.name

    def matches(self, labels: dict[str, str]) -> bool:
        """Return whether every matcher's label has its value in ``labels``."""
        return bool(self.matchers) and all(
            str(labels.get(key, "")) == str(value) for key, value in self.matchers.items()
        )


class Alert(AuditedModel):
    """An alert received from Alertmanager, one per fingerprint and start (SRM 21-1, 21-2)."""

    class Status(models.TextChoices):
        FIRING = "firing", _("firing")
        RESOLVED = "resolved", _("resolved")

    fingerprint = models.CharField(
        _("fingerprint"),
        max_length=64,
    )
    name = models.CharField(
        _("alert"),
        max_length=200,
        blank=True,
    )
    labels = models.JSONField(
        _("labels"),
        default=dict,
    )
    annotations = models.JSONField(
        _("annotations"),
        default=dict,
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
    )
    starts_at = models.DateTimeField(
        _("starts at"),
    )
    ends_at = models.DateTimeField(
        _("ends at"),
        null=True,
        blank=True,
    )
    received_at = models.DateTimeField(
        _("received"),
    )
    rule = models.ForeignKey(
        AlertRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("alert rule"),
    )
    service = models.ForeignKey(
        MonitoredService,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("monitored service"),
    )
    incident = models.ForeignKey(
        Incident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incident"),
    )

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint", "starts_at"],
                name="operations_alert_once_per_start",
            ),
        ]
        indexes = [
            models.Index(fields=["service", "status"], name="operations_alert_firing"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.fingerprint} {self.status}"


class Probe(AuditedModel):
    """An HTTP or TCP check mamori's worker runs against a service (SRM 21-1)."""

    class Kind(models.TextChoices):
        HTTP = "http", _("HTTP")
        TCP = "tcp", _("TCP")

    service = models.ForeignKey(
        MonitoredService,
        on_delete=models.CASCADE,
        related_name="probes",
        verbose_name=_("monitored service"),
    )
    kind = models.CharField(
        _("kind"),
        max_length=4,
        choices=Kind.choices,
        default=Kind.HTTP,
    )
    target = models.CharField(
        _("target"),
        max_length=500,
        help_text=_("A URL for HTTP, host:port for TCP."),
    )
    interval_seconds = models.PositiveIntegerField(
        _("interval (seconds)"),
        default=60,
    )
    timeout_seconds = models.PositiveIntegerField(
        _("timeout (seconds)"),
        default=5,
    )
    expected_status = models.PositiveIntegerField(
        _("expected HTTP status"),
        default=200,
    )
    expected_body = models.CharField(
        _("expected text in the body"),
        max_length=200,
        blank=True,
    )
    failures_before_down = models.PositiveIntegerField(
        _("failures before down"),
        default=2,
    )
    active = models.BooleanField(
        _("active"),
        default=True,
    )
    consecutive_failures = models.PositiveIntegerField(
        default=0,
    )
    last_run_at = models.DateTimeField(
        _("last run"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["service", "pk"]
        verbose_name = _("probe")
        verbose_name_plural = _("probes")

    def __str__(self) -> str:
        return f"{self.kind} {self.target}"


class ProbeResult(AuditedModel):
    """One run of a probe; only the latest :data:`KEEP` per probe are kept (SRM 21-1)."""

    KEEP = 100

    probe = models.ForeignKey(
        Probe,
        on_delete=models.CASCADE,
        related_name="results",
    )
    at = models.DateTimeField(
        _("at"),
    )
    ok = models.BooleanField(
        _("ok"),
    )
    elapsed_ms = models.PositiveIntegerField(
        _("elapsed (ms)"),
    )
    detail = models.CharField(
        _("detail"),
        max_length=300,
        blank=True,
    )

    class Meta:
        ordering = ["probe", "-at", "-pk"]
        verbose_name = _("probe result")
        verbose_name_plural = _("probe results")

    def __str__(self) -> str:
        return f"{self.probe_id} {self.at:%Y-%m-%d %H:%M:%S} {'ok' if self.ok else 'failed'}"


class Heartbeat(AuditedModel):
    """A batch job's promise to report within a window; missing it puts the service down
    (SRM 21-1)."""

    code = models.SlugField(
        _("code"),
        max_length=80,
        unique=True,
    )
    service = models.ForeignKey(
        MonitoredService,
        on_delete=models.CASCADE,
        related_name="heartbeats",
        verbose_name=_("monitored service"),
    )
    window_seconds = models.PositiveIntegerField(
        _("window (seconds)"),
        default=3600,
    )
    watched_since = models.DateTimeField(
        _("watched since"),
        default=timezone.now,
    )
    last_seen = models.DateTimeField(
        _("last seen"),
        null=True,
        blank=True,
    )
    missed = models.BooleanField(
        _("missed"),
        default=False,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return self.code
