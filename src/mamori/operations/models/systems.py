"""The systems register: the exchange's systems and services (SRM 7-2, 11-3, 12).

One row per system or service the exchange runs (matching engine, wallet service, web front
end, KYC, databases …), with the department that owns it, its system manager and how much
customers' assets depend on it. Development projects, changes, quality plans, maintenance and
(later) configuration items all point here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class System(AuditedModel):
    """A system or service of the exchange with its owner and manager (SRM 7-2, 11-3, 12-2)."""

    class Criticality(models.TextChoices):
        HIGH = "high", _("high: customers' assets move through it")
        MEDIUM = "medium", _("medium: customers depend on it")
        LOW = "low", _("low: internal")

    class Lifecycle(models.TextChoices):
        PLANNED = "planned", _("planned")
        LIVE = "live", _("live")
        RETIRED = "retired", _("retired")

    code = models.SlugField(
        _("code"),
        max_length=50,
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
    description = models.TextField(
        _("purpose"),
        blank=True,
    )
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        related_name="systems",
        verbose_name=_("owner department"),
    )
    system_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("system manager"),
    )
    criticality = models.CharField(
        _("criticality for customers' assets"),
        max_length=10,
        choices=Criticality.choices,
        default=Criticality.MEDIUM,
    )
    lifecycle = models.CharField(
        _("lifecycle"),
        max_length=10,
        choices=Lifecycle.choices,
        default=Lifecycle.LIVE,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("system")
        verbose_name_plural = _("systems")

    def __str__(self) -> str:
        return self.code

    def name(self, language: str) -> str:
        """Return the system's name in ``language`` (ja or en)."""
        return self.name_en if language.startswith("en") else self.name_ja
