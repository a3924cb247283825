"""Controls, their runs and evidence, and approved status decisions (SRM 4-3, ISM 4-3, 5-4)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel
from mamori.rulebook.models.library import Requirement, _pick

__all__ = ["Control", "ControlReview", "ControlRun", "Evidence", "StatusDecision"]


class Control(AuditedModel):
    """A control in the catalogue, linked to the requirements it satisfies.

    *measured*: an automated check of the exchange's own systems or data (pass/fail with
    evidence); *workflow*: a register or approval in mamori that the requirement demands,
    checked by mamori; *document*: evidence a person reviewed, with owner, review cycle and
    expiry; *self*: a check of mamori itself, shown beside a requirement as mamori's own
    health and never counted toward it.
    """

    class Kind(models.TextChoices):
        MEASURED = "measured", _("measured")
        WORKFLOW = "workflow", _("workflow")
        DOCUMENT = "document", _("reviewed document")
        SELF = "self", _("mamori's own health")

    audit_values: ClassVar[tuple[str, ...]] = ("owner_role",)  # History: before/after
    code = models.CharField(
        max_length=60,
        unique=True,
    )
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
    )
    name_ja = models.CharField(
        max_length=300,
    )
    name_en = models.CharField(
        max_length=300,
    )
    description_ja = models.TextField(
        blank=True,
    )
    description_en = models.TextField(
        blank=True,
    )
    check_code = models.CharField(
        max_length=100,
        blank=True,
    )
    check_params = models.JSONField(
        default=dict,
    )
    owner_role = models.ForeignKey(
        "accounts.Role",
        on_delete=models.PROTECT,
        related_name="controls",
    )
    review_days = models.PositiveIntegerField()
    run_every_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
    )
    evidence_valid_days = models.PositiveIntegerField(
        null=True,
        blank=True,
    )
    module = models.CharField(
        max_length=100,
        blank=True,
    )
    tests = models.JSONField(
        default=list,
    )
    requirements = models.ManyToManyField(
        Requirement,
        related_name="controls",
        blank=True,
    )
    last_reviewed_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        """Return the name in the active language."""
        return _pick(self.name_ja, self.name_en)

    @property
    def description(self) -> str:
        """Return the description in the active language."""
        return _pick(self.description_ja, self.description_en)


class ControlRun(AuditedModel):
    """One run of an automated or workflow control's check, with its evidence."""

    class Outcome(models.TextChoices):
        PASS = "pass", _("pass")
        FAIL = "fail", _("fail")
        ERROR = "error", _("error")

    control = models.ForeignKey(
        Control,
        on_delete=models.PROTECT,
        related_name="runs",
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(
        max_length=10,
        choices=Outcome.choices,
    )
    summary_ja = models.TextField()
    summary_en = models.TextField()
    evidence = models.JSONField(
        default=dict,
    )
    triggered_by = models.CharField(
        max_length=200,
        blank=True,
    )

    class Meta:
        ordering = ("-started_at", "-pk")
        indexes = [
            models.Index(fields=("control", "-started_at"), name="rulebook_run_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.control_id} {self.outcome} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def summary(self) -> str:
        """Return the summary in the active language."""
        return _pick(self.summary_ja, self.summary_en)


class Evidence(AuditedModel):
    """A document uploaded as evidence for a control, stored by its SHA-256 (ISM 5-4).

    It is *pending* until a holder of the control's owner role other than the uploader
    accepts it with a comment, confirming each requirement it shows, or rejects it with a
    reason. Only accepted evidence counts, only for the requirements the reviewer confirmed,
    and only until ``valid_until`` (capped by the control's review period).
    """

    class Review(models.TextChoices):
        PENDING = "pending", _("awaiting review")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    control = models.ForeignKey(
        Control,
        on_delete=models.PROTECT,
        related_name="evidence",
    )
    title = models.CharField(
        max_length=300,
    )
    filename = models.CharField(
        max_length=255,
    )
    content_type = models.CharField(
        max_length=100,
    )
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(
        max_length=64,
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField()
    valid_until = models.DateField()
    period_start = models.DateField(
        null=True,
        blank=True,
    )
    period_end = models.DateField(
        null=True,
        blank=True,
    )
    claimed = models.ManyToManyField(
        Requirement,
        related_name="evidence_claimed",
        blank=True,
    )
    review = models.CharField(
        max_length=10,
        choices=Review.choices,
        default=Review.PENDING,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    reviewed_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    review_note = models.TextField(
        blank=True,
    )
    confirmed = models.ManyToManyField(
        Requirement,
        related_name="evidence_confirmed",
        blank=True,
    )

    class Meta:
        ordering = ("-uploaded_at", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(review="pending") | ~Q(review_note=""),
                name="rulebook_evidence_review_explained",
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_start__lte=models.F("period_end")),
                name="rulebook_evidence_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.sha256[:12]})"


class ControlReview(AuditedModel):
    """The owner's periodic review of a control (its design still fits the requirement)."""

    control = models.ForeignKey(
        Control,
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField()
    note = models.TextField(
        blank=True,
    )

    class Meta:
        ordering = ("-reviewed_at",)

    def __str__(self) -> str:
        return f"{self.control_id} {self.reviewed_at:%Y-%m-%d}"


class StatusDecision(AuditedModel):
    """A manual compliance status for a requirement, effective only once approved.

    Not applicable needs a justification; any override goes through the approval
    mechanism (``compliance_override`` policy) and is shown with who approved it.
    """

    class Status(models.TextChoices):
        COMPLIANT = "compliant", _("compliant")
        PARTIAL = "partial", _("partially compliant")
        NON_COMPLIANT = "non_compliant", _("non-compliant")
        NOT_APPLICABLE = "not_applicable", _("not applicable")

    requirement = models.ForeignKey(
        Requirement,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
    )
    justification = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField()
    approval = models.OneToOneField(
        "accounts.ApprovalRequest",
        on_delete=models.PROTECT,
        related_name="status_decision",
    )
    effective_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ("-requested_at",)
        constraints = [
            models.CheckConstraint(
                condition=~Q(justification=""),
                name="rulebook_decision_justified",
            )
        ]

    def __str__(self) -> str:
        return f"{self.requirement_id}: {self.status}"
