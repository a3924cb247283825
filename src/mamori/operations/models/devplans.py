"""The medium- to long-term development plan (SRM 4-6, 11-2), versioned.

The plan states the system strategy it serves and its period; each version lists the projects
(responsible person, system, budget in yen, period). A version is decided by the committee and
then the board through the shared approvals; once approved it is the current plan and the one
before it is superseded. A change to the plan is a new version, shown against the one before.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel
from mamori.core.amounts import FiatField


class DevelopmentPlan(AuditedModel):
    """A medium- to long-term development plan approved by the board (SRM 4-6, 11-2)."""

    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
    )
    title = models.CharField(
        _("title"),
        max_length=200,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("development plan")
        verbose_name_plural = _("development plans")

    def __str__(self) -> str:
        return self.code


class DevPlanVersion(AuditedModel):
    """One version of the development plan: its period, strategy and projects (SRM 4-6)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PENDING = "pending", _("awaiting approval")
        APPROVED = "approved", _("approved (current)")
        SUPERSEDED = "superseded", _("superseded")
        REJECTED = "rejected", _("rejected")

    plan = models.ForeignKey(
        DevelopmentPlan,
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(
        _("version"),
    )
    starts_on = models.DateField(
        _("plan period from"),
    )
    ends_on = models.DateField(
        _("plan period to"),
    )
    strategy = models.TextField(
        _("system strategy it serves"),
    )
    strategy_url = models.URLField(
        _("link to the strategy"),
        blank=True,
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.DRAFT,
    )
    approval = models.ForeignKey(
        "accounts.ApprovalRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(
        _("drafted at"),
    )
    approved_at = models.DateTimeField(
        _("approved at"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = _("development plan version")
        verbose_name_plural = _("development plan versions")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "number"],
                name="operations_devplan_version_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"


class DevPlanProject(AuditedModel):
    """A project of a development plan version: responsible person, system, budget, period
    (SRM 11-4)."""

    version = models.ForeignKey(
        DevPlanVersion,
        on_delete=models.CASCADE,
        related_name="projects",
    )
    name = models.CharField(
        _("project"),
        max_length=200,
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible person"),
    )
    system = models.ForeignKey(
        "operations.System",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("system"),
    )
    budget_jpy = FiatField(
        _("budget (yen)"),
        max_digits=15,
        decimal_places=0,
    )
    starts_on = models.DateField(
        _("from"),
    )
    ends_on = models.DateField(
        _("to"),
    )

    class Meta:
        ordering = ["starts_on", "name"]
        verbose_name = _("development project")
        verbose_name_plural = _("development projects")

    def __str__(self) -> str:
        return self.name
