"""Periodic access reviews: every person's roles confirmed by their manager (ISM 23-1-1/3)."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class AccessReview(AuditedModel):
    """One review campaign covering everyone's roles at the moment it opened."""

    opened_at = models.DateTimeField(
        auto_now_add=True,
    )
    due_at = models.DateTimeField()
    closed_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("access review")
        verbose_name_plural = _("access reviews")

    def __str__(self) -> str:
        return f"access review {self.opened_at:%Y-%m-%d}"


class AccessReviewItem(AuditedModel):
    """One person's roles, to be confirmed (or flagged) by their reviewer."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("pending")
        CONFIRMED = "confirmed", _("confirmed")
        CHANGE_NEEDED = "change_needed", _("change needed")

    audit_values: ClassVar[tuple[str, ...]] = ("outcome", "reviewer")  # History: before/after
    review = models.ForeignKey(
        AccessReview,
        on_delete=models.PROTECT,
        related_name="items",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_reviews_to_do",
    )
    roles = models.JSONField(
        help_text=_("The roles held when the review opened."),
    )
    outcome = models.CharField(
        max_length=20,
        choices=Outcome.choices,
        default=Outcome.PENDING,
    )
    comment = models.TextField(
        blank=True,
    )
    decided_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["person__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "person"],
                name="accounts_accessreviewitem_one_per_person",
            ),
        ]
        verbose_name = _("access review item")
        verbose_name_plural = _("access review items")

    def __str__(self) -> str:
        return f"{self.review}: {self.person}"
