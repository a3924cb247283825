"""Leak response (ISM 30) and the inventory's editing records (ISM 28): the runbook and the
compensation policy as versioned documents approved through the shared approvals, the
runbook's revision flag raised by custody-system changes, drills with key holders, and the
closing of a site.

Imported at the end of :mod:`mamori.keys.models`, so Django sees these models in ``keys``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class ResponseDocument(AuditedModel):
    """A leak-response document (ISM 30-1 the runbook, ISM 30-4 the compensation policy); the
    runbook carries the *revision required* flag custody-system changes raise (ISM 30-2)."""

    class Kind(models.TextChoices):
        RUNBOOK = "runbook", _("leak-response runbook")
        COMPENSATION = "compensation", _("compensation policy")

    kind = models.CharField(
        _("document"),
        max_length=20,
        choices=Kind.choices,
        unique=True,
    )
    revision_required_since = models.DateTimeField(
        _("revision required since"),
        null=True,
        blank=True,
    )
    revision_reasons = models.JSONField(
        _("what changed"),
        default=list,
        blank=True,
    )

    class Meta:
        ordering = ["kind"]
        verbose_name = _("leak-response document")
        verbose_name_plural = _("leak-response documents")

    def __str__(self) -> str:
        return str(self.get_kind_display())


class ResponseVersion(AuditedModel):
    """One version of a leak-response document: its text (Markdown) or an uploaded file (kept
    by its SHA-256 under the data directory), the runbook's ordered steps with target minutes
    and the wallets it covers; approved through the shared approvals (ISM 30-1, 30-4)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PENDING = "pending", _("awaiting approval")
        APPROVED = "approved", _("approved")
        SUPERSEDED = "superseded", _("superseded")
        REJECTED = "rejected", _("rejected")

    document = models.ForeignKey(
        ResponseDocument,
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(
        _("version"),
    )
    text = models.TextField(
        _("text (Markdown)"),
        blank=True,
    )
    file_name = models.CharField(
        _("file"),
        max_length=200,
        blank=True,
    )
    file_sha256 = models.CharField(
        _("file SHA-256"),
        max_length=64,
        blank=True,
    )
    file_type = models.CharField(
        _("file type"),
        max_length=100,
        blank=True,
    )
    steps = models.JSONField(
        _("steps"),
        default=list,
        blank=True,
    )
    wallets = models.ManyToManyField(
        "keys.Wallet",
        blank=True,
        related_name="response_versions",
        verbose_name=_("wallets covered"),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.DRAFT,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("drafted by"),
    )
    created_at = models.DateTimeField(
        _("drafted at"),
    )
    approval = models.OneToOneField(
        "accounts.ApprovalRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(
        _("approved at"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["document", "-number"]
        verbose_name = _("leak-response document version")
        verbose_name_plural = _("leak-response document versions")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="keys_response_version_number"
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["approved", "superseded"])
                | models.Q(approval__isnull=False, approved_at__isnull=False),
                name="keys_response_version_approved_by_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


class Drill(AuditedModel):
    """A leak-response drill with key holders (ISM 30-3): scheduled with its scenario and the
    people invited, then recorded with who took part, each step's time and the findings."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        COMPLETED = "completed", _("completed")

    scheduled_for = models.DateField(
        _("scheduled for"),
    )
    scenario = models.TextField(
        _("scenario"),
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="leak_drills",
        verbose_name=_("participants"),
    )
    runbook = models.ForeignKey(
        ResponseVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="drills",
        verbose_name=_("runbook version"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.SCHEDULED,
    )
    held_on = models.DateField(
        _("held on"),
        null=True,
        blank=True,
    )
    took_part = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="leak_drills_attended",
        verbose_name=_("took part"),
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
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("scheduled by"),
    )

    class Meta:
        ordering = ["-scheduled_for", "-pk"]
        verbose_name = _("leak-response drill")
        verbose_name_plural = _("leak-response drills")

    def __str__(self) -> str:
        return f"{self.scheduled_for}: {self.scenario[:60]}"


class SiteClosure(AuditedModel):
    """A site closed (ISM 28-2-6): from when, why and by whom; nothing may be kept there."""

    site = models.OneToOneField(
        "keys.Site",
        on_delete=models.CASCADE,
        related_name="closure",
    )
    closed_on = models.DateField(
        _("closed on"),
    )
    reason = models.CharField(
        _("reason"),
        max_length=300,
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("closed by"),
    )

    class Meta:
        verbose_name = _("site closure")
        verbose_name_plural = _("site closures")
