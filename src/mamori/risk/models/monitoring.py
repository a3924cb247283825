"""What automated controls say about the risks (ISM 12-3, 12-4)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class MonitoringLink(AuditedModel):
    """Which kind of signal raises a scenario's current likelihood or flags it for review."""

    class Kind(models.TextChoices):
        CUSTODY_HALT = "custody_halt", _("custody halt (threshold breach)")
        RECONCILIATION = "reconciliation", _("failed or differing reconciliation")
        INCIDENT = "incident", _("incident reported")

    class Effect(models.TextChoices):
        RAISE = "raise", _("raise the current likelihood")
        FLAG = "flag", _("flag for review")

    scenario = models.ForeignKey(
        "risk.RiskScenario",
        on_delete=models.PROTECT,
        related_name="links",
    )
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
    )
    effect = models.CharField(
        max_length=10,
        choices=Effect.choices,
    )
    steps = models.PositiveSmallIntegerField(
        default=1,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scenario", "kind"], name="risk_link_scenario_kind"),
        ]
        verbose_name = _("monitoring link")
        verbose_name_plural = _("monitoring links")

    def __str__(self) -> str:
        return f"{self.kind} → {self.effect}"


class Signal(AuditedModel):
    """One result of an automated control, taken once by event id, and what it changed."""

    event_id = models.CharField(
        max_length=200,
        unique=True,
    )
    kind = models.CharField(
        max_length=20,
        choices=MonitoringLink.Kind.choices,
    )
    summary = models.CharField(
        max_length=500,
    )
    details = models.JSONField(
        default=dict,
    )
    scenarios = models.JSONField(
        default=list,
        help_text=_("Codes of the scenarios it raised or flagged."),
    )
    at = models.DateTimeField(
        auto_now_add=True,
    )

    class Meta:
        ordering = ["-at"]
        verbose_name = _("monitoring signal")
        verbose_name_plural = _("monitoring signals")

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"
