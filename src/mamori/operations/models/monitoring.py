"""Operating-status monitoring of the exchange's services (SRM 21-1, 21-2, 12-1).

A :class:`MonitoredService` is something customers or the exchange rely on (the order API, the
matching engine, deposits, withdrawals), tied to its system and configuration items. Its state
comes from alerts (Prometheus Alertmanager), probes mamori runs and heartbeats jobs send; each
period in one state is a :class:`ServiceState`, from which availability is computed.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class MonitoredService(AuditedModel):
    """A service whose operating status is watched at all times (SRM 21-1)."""

    class State(models.TextChoices):
        UP = "up", _("up")
        DEGRADED = "degraded", _("degraded")
        DOWN = "down", _("down")
        UNKNOWN = "unknown", _("unknown")

    code = models.SlugField(
        _("code"),
        max_length=80,
        unique=True,
    )
    name_ja = models.CharField(
        _("name (Japanese)"),
        max_length=200,
    )
    name_en = models.CharField(
        _("name (English)"),
        max_length=200,
    )
    system = models.ForeignKey(
        "operations.System",
        on_delete=models.PROTECT,
        related_name="monitored_services",
        verbose_name=_("system"),
    )
    items = models.ManyToManyField(
        "operations.ConfigurationItem",
        blank=True,
        related_name="monitored_services",
        verbose_name=_("configuration items"),
    )
    availability_target = models.DecimalField(
        _("availability target (%)"),
        max_digits=6,
        decimal_places=3,
        default=Decimal("99.900"),
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=State.choices,
        default=State.UNKNOWN,
    )
    state_since = models.DateTimeField(
        _("in this state since"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("monitored service")
        verbose_name_plural = _("monitored services")

    def __str__(self) -> str:
        return self.code

    def name(self, language: str) -> str:
        """Return the service's name in ``language`` (ja or en)."""
        return self.name_en if language.startswith("en") else self.name_ja


class ServiceState(AuditedModel):
    """One period a service spent in one state, and what put it there (SRM 21-1, 21-2)."""

    service = models.ForeignKey(
        MonitoredService,
        on_delete=models.CASCADE,
        related_name="states",
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=MonitoredService.State.choices,
    )
    started_at = models.DateTimeField(
        _("from"),
    )
    ended_at = models.DateTimeField(
        _("until"),
        null=True,
        blank=True,
    )
    cause = models.CharField(
        _("cause"),
        max_length=300,
        blank=True,
    )
    incident = models.ForeignKey(
        "operations.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incident"),
    )

    class Meta:
        ordering = ["service", "-started_at"]
        verbose_name = _("service state")
        verbose_name_plural = _("service states")
        indexes = [
            models.Index(fields=["service", "started_at"], name="operations_state_start"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.state} {self.started_at:%Y-%m-%d %H:%M}"
