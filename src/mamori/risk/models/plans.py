"""The security plan and the owners' residual-risk sign-off (ISM 19, 20)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class SecurityPlan(AuditedModel):
    """One version of the information safety management plan compiled from the treatments,
    decided by the committee and then the board (ISM 19-1, 19-2)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("waiting for the committee and the board")
        APPROVED = "approved", _("approved by board resolution")
        REJECTED = "rejected", _("rejected")
        EXPIRED = "expired", _("expired without a decision")

    assessment = models.ForeignKey(
        "risk.Assessment",
        on_delete=models.PROTECT,
        related_name="plans",
    )
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    sha256 = models.CharField(
        max_length=64,
    )
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.SUBMITTED,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approval = models.OneToOneField(
        "accounts.ApprovalRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(
        auto_now_add=True,
    )
    approved_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["assessment", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "version"], name="risk_plan_version"),
        ]
        verbose_name = _("security plan")
        verbose_name_plural = _("security plans")

    def __str__(self) -> str:
        return f"{self.assessment} v{self.version}"


class SignOff(AuditedModel):
    """A risk owner's acceptance of their residual risks under an approved plan, with the exact
    state they saw (ISM 20-1)."""

    plan = models.ForeignKey(
        SecurityPlan,
        on_delete=models.PROTECT,
        related_name="signoffs",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    snapshot = models.JSONField()
    sha256 = models.CharField(
        max_length=64,
    )
    comment = models.TextField(
        blank=True,
    )
    signed_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_at"]
        verbose_name = _("residual-risk sign-off")
        verbose_name_plural = _("residual-risk sign-offs")

    def __str__(self) -> str:
        return f"{self.owner} v{self.plan.version}"
