"""Planned maintenance and its notice to customers (SRM 13).

A :class:`Maintenance` is one periodic or timely maintenance of the exchange's systems (SRM
13-1): what it is in Japanese and English for customers, the systems it touches, the window
planned and the window it actually took. Announcing it writes a customer notice (the guard's
:class:`~mamori.guard.models.Notice`, kind *maintenance*) that is published on the public status
page once approved (SRM 13-2). How long before the start the notice must be public is data
(:class:`MaintenanceNoticeRule`, per criticality of the systems touched); a maintenance that
starts without it is a :class:`~mamori.operations.models.ChangeFinding`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel
from mamori.operations.models.systems import System


class MaintenanceNoticeRule(AuditedModel):
    """The minimum notice before a maintenance of systems of one criticality (SRM 13-2)."""

    criticality = models.CharField(
        _("criticality of the systems maintained"),
        max_length=10,
        choices=System.Criticality.choices,
        unique=True,
    )
    minimum_days = models.PositiveIntegerField(
        _("minimum notice (days)"),
        default=7,
    )

    class Meta:
        ordering = ["criticality"]
        verbose_name = _("maintenance notice rule")
        verbose_name_plural = _("maintenance notice rules")

    def __str__(self) -> str:
        return f"{self.criticality}: {self.minimum_days}"


class Maintenance(AuditedModel):
    """A periodic or timely maintenance and its announcement to customers (SRM 13-1, 13-2)."""

    class Kind(models.TextChoices):
        PERIODIC = "periodic", _("periodic")
        TIMELY = "timely", _("timely (as needed)")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        ANNOUNCED = "announced", _("announced")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    title_ja = models.CharField(
        _("title (Japanese)"),
        max_length=200,
    )
    title_en = models.CharField(
        _("title (English)"),
        max_length=200,
    )
    description_ja = models.TextField(
        _("text for customers (Japanese)"),
    )
    description_en = models.TextField(
        _("text for customers (English)"),
    )
    internal_notes = models.TextField(
        _("internal details"),
        blank=True,
    )
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=Kind.choices,
        default=Kind.PERIODIC,
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.PLANNED,
    )
    systems = models.ManyToManyField(
        System,
        related_name="maintenances",
        verbose_name=_("systems maintained"),
    )
    services = models.ManyToManyField(
        "guard.Function",
        blank=True,
        related_name="+",
        verbose_name=_("customer services stopped"),
    )
    change = models.ForeignKey(
        "operations.Change",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="maintenances",
        verbose_name=_("change"),
    )
    planned_start = models.DateTimeField(
        _("planned start"),
    )
    planned_end = models.DateTimeField(
        _("planned end"),
    )
    actual_start = models.DateTimeField(
        _("actual start"),
        null=True,
        blank=True,
    )
    actual_end = models.DateTimeField(
        _("actual end"),
        null=True,
        blank=True,
    )
    notice = models.OneToOneField(
        "guard.Notice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="maintenance",
        verbose_name=_("customer notice"),
    )
    notice_published_at = models.DateTimeField(
        _("notice published at"),
        null=True,
        blank=True,
    )
    exception = models.BooleanField(
        _("emergency exception to the notice period"),
        default=False,
    )
    exception_reason = models.TextField(
        _("reason for the exception"),
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("planned by"),
    )
    created_at = models.DateTimeField(
        _("planned at"),
        auto_now_add=True,
    )

    class Meta:
        ordering = ["-planned_start", "-pk"]
        verbose_name = _("maintenance")
        verbose_name_plural = _("maintenances")
        indexes = [
            models.Index(
                fields=["status", "planned_start"],
                name="ops_maintenance_status_start",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__gt=models.F("planned_start")),
                name="ops_maintenance_window",
            ),
        ]

    def __str__(self) -> str:
        return f"MNT-{self.pk}"

    @property
    def reference(self) -> str:
        """Return the maintenance's reference (MNT-<id>)."""
        return f"MNT-{self.pk}"

    def title(self, language: str) -> str:
        """Return the title in ``language`` (ja or en)."""
        return self.title_en if language.startswith("en") else self.title_ja

    def description(self, language: str) -> str:
        """Return the text for customers in ``language`` (ja or en)."""
        return self.description_en if language.startswith("en") else self.description_ja
