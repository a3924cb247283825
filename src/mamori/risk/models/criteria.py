"""Risk criteria as versioned data and the assessments fixed to them (ISM 12-1, 13)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models.bilingual import BilingualName
from mamori.auditlog.audited import AuditedModel
from mamori.engines.risk import Matrix


class RiskMatrix(BilingualName):
    """One version of the risk criteria: scales, levels, grid, acceptance level and the
    assessment criteria (ISM 13-1-1 受容基準, 13-1-2 アセスメント実施基準).

    A version some assessment uses is frozen: a change is saved as the next version.
    """

    code = models.SlugField(
        max_length=50,
    )
    version = models.PositiveIntegerField()
    data = models.JSONField(
        help_text=_("Scales, levels, grid and acceptance level (checked by the risk engine)."),
    )
    criteria_ja = models.TextField(
        blank=True,
    )
    criteria_en = models.TextField(
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(
        auto_now_add=True,
    )

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="risk_matrix_code_version"),
        ]
        verbose_name = _("risk matrix")
        verbose_name_plural = _("risk matrices")

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def matrix(self) -> Matrix:
        """Return the engine's view of this version."""
        return Matrix.from_data(self.data)


class Assessment(AuditedModel):
    """One risk assessment: its context (ISM 12-1 組織内外の状況), its lead, and the one
    criteria version it is made under (ISM 13)."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        COMPLETED = "completed", _("completed")

    name = models.CharField(
        max_length=200,
    )
    context_ja = models.TextField(
        blank=True,
    )
    context_en = models.TextField(
        blank=True,
    )
    matrix = models.ForeignKey(
        RiskMatrix,
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.IN_PROGRESS,
    )
    started_at = models.DateTimeField(
        auto_now_add=True,
    )
    completed_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def newest(cls) -> Assessment | None:
        """Return the assessment started last — the one in force — with its criteria."""
        return cls.objects.select_related("matrix", "lead").order_by("-started_at").first()
