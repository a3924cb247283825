"""Contingency plans and their drills (SRM 5-2, ISM 3, ISM 30-3).

A plan per scenario holds versions (text, steps with target minutes, a contact tree, the
representative director's and the system general manager's roles by name), each approved
through the shared approvals; a plan is reviewed yearly and flagged for review on changes. A
drill rehearses an approved version as an incident marked *drill*; the leaders who must command
it (SRM 5-2) are recorded when they do. The crypto-asset-leak plan points at the keys module's
leak-response runbook and its key-holder drills (ISM 30) instead of repeating them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class ContingencyPlan(AuditedModel):
    """The contingency plan of one scenario (SRM 5-2, ISM 3): its review date and flag."""

    class Scenario(models.TextChoices):
        SYSTEM_FAILURE = "system_failure", _("system failure")
        CYBER_ATTACK = "cyber_attack", _("cyber attack")
        CRYPTO_ASSET_LEAK = "crypto_asset_leak", _("crypto-asset leak")
        DATA_CENTRE_LOSS = "data_centre_loss", _("data-centre loss")
        VENDOR_FAILURE = "vendor_failure", _("vendor failure")

    scenario = models.CharField(
        _("scenario"),
        max_length=30,
        choices=Scenario.choices,
        unique=True,
    )
    next_review_on = models.DateField(
        _("next review on"),
        null=True,
        blank=True,
    )
    review_flagged_since = models.DateTimeField(
        _("flagged for review since"),
        null=True,
        blank=True,
    )
    review_reasons = models.JSONField(
        _("why a review is needed"),
        default=list,
        blank=True,
    )

    class Meta:
        ordering = ["scenario"]
        verbose_name = _("contingency plan")
        verbose_name_plural = _("contingency plans")

    def __str__(self) -> str:
        return str(self.get_scenario_display())


class PlanVersion(AuditedModel):
    """One version of a contingency plan, approved through the shared approvals (SRM 5-2)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PENDING = "pending", _("awaiting approval")
        APPROVED = "approved", _("approved (current)")
        SUPERSEDED = "superseded", _("superseded")
        REJECTED = "rejected", _("rejected")

    plan = models.ForeignKey(
        ContingencyPlan,
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(
        _("version"),
    )
    text = models.TextField(
        _("text (Markdown)"),
    )
    steps = models.JSONField(
        _("steps"),
        default=list,
    )
    contacts = models.JSONField(
        _("contact tree"),
        default=list,
        blank=True,
    )
    representative_director = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("representative director"),
    )
    representative_director_role = models.TextField(
        _("the representative director's responsibilities and actions"),
    )
    system_general_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("system general manager"),
    )
    system_general_manager_role = models.TextField(
        _("the system general manager's responsibilities and actions"),
    )
    leak_runbook = models.ForeignKey(
        "keys.ResponseVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("leak-response runbook (ISM 30)"),
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
        ordering = ["plan", "-number"]
        verbose_name = _("contingency plan version")
        verbose_name_plural = _("contingency plan versions")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "number"],
                name="plan_version_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"


class PlanDrill(AuditedModel):
    """A drill of a contingency plan (SRM 5-2, ISM 30-3): scheduled with the leaders who must
    command it, run as an incident marked *drill*, with each step's times and the findings."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        RUNNING = "running", _("running")
        COMPLETED = "completed", _("completed")

    plan = models.ForeignKey(
        ContingencyPlan,
        on_delete=models.PROTECT,
        related_name="drills",
    )
    version = models.ForeignKey(
        PlanVersion,
        on_delete=models.PROTECT,
        related_name="drills",
    )
    scheduled_for = models.DateField(
        _("scheduled for"),
    )
    leaders = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="+",
        verbose_name=_("leaders who must command"),
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("participants"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.SCHEDULED,
    )
    incident = models.OneToOneField(
        "operations.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_drill",
    )
    leak_drill = models.ForeignKey(
        "keys.Drill",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("key-holder drill (ISM 30-3)"),
    )
    step_times = models.JSONField(
        _("time per step"),
        default=list,
        blank=True,
    )
    findings = models.TextField(
        _("findings"),
        blank=True,
    )
    started_at = models.DateTimeField(
        _("started at"),
        null=True,
        blank=True,
    )
    finished_at = models.DateTimeField(
        _("finished at"),
        null=True,
        blank=True,
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-scheduled_for", "-pk"]
        verbose_name = _("contingency drill")
        verbose_name_plural = _("contingency drills")

    def __str__(self) -> str:
        return f"{self.plan} {self.scheduled_for}"


class DrillCommand(AuditedModel):
    """A leader who commanded a drill, in which role (SRM 5-2: the representative director and
    the system general manager command drills themselves)."""

    drill = models.ForeignKey(
        PlanDrill,
        on_delete=models.CASCADE,
        related_name="commands",
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("commanded by"),
    )
    role = models.CharField(
        _("role"),
        max_length=50,
    )
    at = models.DateTimeField(
        _("at"),
    )

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("drill command")
        verbose_name_plural = _("drill commands")
        constraints = [
            models.UniqueConstraint(
                fields=["drill", "leader"],
                name="drill_command_once",
            ),
        ]
