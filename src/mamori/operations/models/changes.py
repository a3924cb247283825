"""Development projects and changes under control (SRM 8-3, 11-3..6, 17, 19, 20, 22).

A :class:`Change` is a development project or a change to a running system: who is responsible,
which systems it touches, its kind (standard, normal, emergency) and the stage it has reached on
the way plan → design → build → test → acceptance → release → post-change review. The acceptance
inspection (SRM 20) is kept with it; anything that went around the controls (a deployment without
a *go*, an emergency change reviewed late, a maintenance without its notice) is a
:class:`ChangeFinding`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class Change(AuditedModel):
    """A development project or a change to a system (SRM 11-3..6, 17, 22)."""

    class Kind(models.TextChoices):
        STANDARD = "standard", _("standard (pre-approved, low risk)")
        NORMAL = "normal", _("normal")
        EMERGENCY = "emergency", _("emergency (reviewed after the fact)")

    class Category(models.TextChoices):
        PROJECT = "project", _("development project")
        CHANGE = "change", _("change to a system")
        NEW_SERVICE = "new_service", _("new or changed service (SRM 8-3)")

    class Stage(models.TextChoices):
        PLAN = "plan", _("plan")
        DESIGN = "design", _("design")
        BUILD = "build", _("build")
        TEST = "test", _("test")
        ACCEPTANCE = "acceptance", _("acceptance")
        RELEASE = "release", _("release")
        REVIEW = "review", _("post-change review")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", _("cancelled")

    reference = models.CharField(
        _("reference"),
        max_length=20,
        unique=True,
    )
    title = models.CharField(
        _("title"),
        max_length=300,
    )
    description = models.TextField(
        _("description"),
        blank=True,
    )
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=Kind.choices,
        default=Kind.NORMAL,
    )
    category = models.CharField(
        _("category"),
        max_length=20,
        choices=Category.choices,
        default=Category.CHANGE,
    )
    stage = models.CharField(
        _("stage"),
        max_length=12,
        choices=Stage.choices,
        default=Stage.PLAN,
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible person"),
    )
    systems = models.ManyToManyField(
        "operations.System",
        related_name="changes",
        verbose_name=_("systems touched"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(
        _("created at"),
    )
    cancelled_reason = models.TextField(
        _("why it was cancelled"),
        blank=True,
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancelled_at = models.DateTimeField(
        _("cancelled at"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")

    def __str__(self) -> str:
        return self.reference


class AcceptanceInspection(AuditedModel):
    """The acceptance inspection before introduction or change (SRM 20): the practical tests
    run, who decided the artifact fit for use and the decision, for one artifact digest."""

    class Decision(models.TextChoices):
        GO = "go", _("fit for use")
        NO_GO = "no_go", _("not fit for use")

    change = models.ForeignKey(
        Change,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    artifact_digest = models.CharField(
        _("artifact digest"),
        max_length=100,
    )
    practical_tests = models.TextField(
        _("practical tests run"),
    )
    decision = models.CharField(
        _("decision"),
        max_length=10,
        choices=Decision.choices,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(
        _("decided at"),
    )
    notes = models.TextField(
        _("notes"),
        blank=True,
    )

    class Meta:
        ordering = ["-decided_at"]
        verbose_name = _("acceptance inspection")
        verbose_name_plural = _("acceptance inspections")

    def __str__(self) -> str:
        return f"{self.change} {self.artifact_digest[:19]} {self.decision}"


class ChangeFinding(AuditedModel):
    """Something that went around the change controls (SRM 17, 19, 13, 22), raised by mamori
    from the records and closed by a person with a reason."""

    class Kind(models.TextChoices):
        DEPLOY_WITHOUT_GO = "deploy_without_go", _("a deployment reached production without a go")
        EMERGENCY_REVIEW_LATE = (
            "emergency_review_late",
            _("an emergency change was not reviewed in time"),
        )
        MAINTENANCE_WITHOUT_NOTICE = (
            "maintenance_without_notice",
            _("a maintenance started without its notice published in time"),
        )

    kind = models.CharField(
        _("kind"),
        max_length=40,
        choices=Kind.choices,
    )
    change = models.ForeignKey(
        Change,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
    )
    key = models.CharField(
        _("what it is about"),
        max_length=200,
        unique=True,
        help_text=_("One finding per deployment, change or maintenance: raised once."),
    )
    detail = models.JSONField(
        _("detail"),
        default=dict,
    )
    raised_at = models.DateTimeField(
        _("raised at"),
    )
    resolved_at = models.DateTimeField(
        _("resolved at"),
        null=True,
        blank=True,
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution = models.TextField(
        _("resolution"),
        blank=True,
    )

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("change finding")
        verbose_name_plural = _("change findings")

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
