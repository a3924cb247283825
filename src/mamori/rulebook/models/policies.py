"""Public policy summaries (SRM 4-4, ISM 5-1): versioned, published only through approval."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel
from mamori.rulebook.models.library import _pick

__all__ = ["PolicyDocument", "PolicyVersion"]


class PolicyDocument(AuditedModel):
    """A policy whose summary the rules require to be open to the public."""

    code = models.SlugField(
        max_length=60,
        unique=True,
    )
    title_ja = models.CharField(
        max_length=300,
    )
    title_en = models.CharField(
        max_length=300,
    )
    article = models.CharField(
        max_length=60,
    )
    sections = models.JSONField(
        default=list,
    )

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return self.code

    @property
    def title(self) -> str:
        """Return the title in the active language."""
        return _pick(self.title_ja, self.title_en)


class PolicyVersion(AuditedModel):
    """One version of a policy summary; a published version can never be edited."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PENDING = "pending", _("awaiting approval")
        PUBLISHED = "published", _("published")
        SUPERSEDED = "superseded", _("superseded")
        REJECTED = "rejected", _("rejected")

    document = models.ForeignKey(
        PolicyDocument,
        on_delete=models.PROTECT,
        related_name="versions",
    )
    number = models.PositiveIntegerField()
    body = models.JSONField(
        default=dict,
    )
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.DRAFT,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField()
    approval = models.OneToOneField(
        "accounts.ApprovalRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="published_policy_version",
    )
    published_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ("document", "-number")
        constraints = [
            models.UniqueConstraint(
                fields=("document", "number"),
                name="rulebook_policy_version_unique",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=("published", "superseded"))
                | (Q(approval__isnull=False) & Q(published_at__isnull=False)),
                name="rulebook_published_only_through_approval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number}"

    def section(self, key: str, language: str) -> str:
        """Return one section's text in ``language``."""
        value = self.body.get(key) or {}
        return str(value.get(language) or "")
