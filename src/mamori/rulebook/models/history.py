"""Compliance status over time (SRM 4-3, ISM 4-3: the status is watched, not read once)."""

from __future__ import annotations

from django.db import models

from mamori.auditlog.audited import AuditedModel

__all__ = ["ComplianceSnapshot"]


class ComplianceSnapshot(AuditedModel):
    """How many requirements of both rules were compliant, partial, non-compliant, not
    measured (no control or decision behind them) and not applicable on a local day; taken
    once a day by the scheduler, the day's last count kept (SRM 4-3, ISM 4-3)."""

    day = models.DateField(
        unique=True,
    )
    taken_at = models.DateTimeField()
    compliant = models.PositiveIntegerField()
    partial = models.PositiveIntegerField()
    non_compliant = models.PositiveIntegerField()
    not_measured = models.PositiveIntegerField()
    not_applicable = models.PositiveIntegerField()

    class Meta:
        ordering = ("day",)

    def __str__(self) -> str:
        return f"compliance {self.day}"
