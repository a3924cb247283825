"""N-of-M approvals: policies, requests with hashed snapshots, decisions (SRM 4-6, ISM 31-4)."""

import json
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models.bilingual import BilingualName
from mamori.auditlog.audited import AuditedModel


class ApprovalPolicy(BilingualName):
    """Who must approve a kind of request; changing one is itself approved."""

    code = models.SlugField(
        max_length=50,
        unique=True,
    )
    definition = models.JSONField(
        help_text=_("Stages, order and lifetime, as the approval engine reads them."),
    )
    version = models.PositiveIntegerField(
        default=1,
    )
    updated_at = models.DateTimeField(
        auto_now=True,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("approval policy")
        verbose_name_plural = _("approval policies")

    @property
    def definition_json(self) -> str:
        """Return the definition as indented JSON, for editing."""
        return json.dumps(self.definition, ensure_ascii=False, indent=2)


class ApprovalRequest(AuditedModel):
    """What is to be approved (a hashed snapshot), under a policy fixed when it was made."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        EXPIRED = "expired", _("expired")
        WITHDRAWN = "withdrawn", _("withdrawn")

    audit_values: ClassVar[tuple[str, ...]] = ("status",)  # History: before/after
    kind = models.CharField(
        max_length=80,
        db_index=True,
    )
    title = models.CharField(
        max_length=300,
    )
    policy = models.ForeignKey(
        ApprovalPolicy,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    policy_version = models.PositiveIntegerField()
    policy_definition = models.JSONField()
    snapshot = models.JSONField()
    snapshot_sha256 = models.CharField(
        max_length=64,
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approval_requests",
    )
    requester_token = models.ForeignKey(
        "accounts.ApiToken",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approval_requests",
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(
        db_index=True,
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.PENDING,
        db_index=True,
    )
    closed_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requester__isnull=False)
                | models.Q(requester_token__isnull=False),
                name="accounts_approvalrequest_has_requester",
            ),
        ]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class ApprovalDecision(AuditedModel):
    """One person's approve or reject, with reason and the roles they held."""

    class Verdict(models.TextChoices):
        APPROVE = "approve", _("approve")
        REJECT = "reject", _("reject")

    request = models.ForeignKey(
        ApprovalRequest,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="approval_decisions",
    )
    verdict = models.CharField(
        max_length=10,
        choices=Verdict.choices,
    )
    reason = models.TextField()
    roles = models.JSONField(
        default=list,
    )
    stage = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "approver"],
                name="accounts_approvaldecision_one_per_person",
            ),
        ]
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")

    def __str__(self) -> str:
        return f"{self.approver} {self.verdict} #{self.request_id}"
