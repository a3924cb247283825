"""Containment actions taken against an attack and their blocks (SRM 10-2).

A containment action is what the response did to stop an attack from spreading: halting an
asset's withdrawals (the custody monitor's halt, lifted only with two approvals), blocking the
attacking addresses (SRM 10-2-1, 10-6-1), or stopping a customer-facing function in whole or in
part (SRM 10-2-3). Each is kept here, linked to its incident when there is one, and written on
the incident's timeline at the time it was taken.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class ContainmentAction(AuditedModel):
    """One containment action and when it was taken (SRM 10-2)."""

    class Kind(models.TextChoices):
        HALT = "halt", _("withdrawals halted")
        BLOCK = "block", _("source addresses blocked")
        FUNCTION = "function", _("customer-facing function stopped")

    incident = models.ForeignKey(
        "operations.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="containment_actions",
        verbose_name=_("incident"),
    )
    kind = models.CharField(
        _("action"),
        max_length=20,
        choices=Kind.choices,
    )
    summary_ja = models.CharField(
        _("summary (Japanese)"),
        max_length=300,
    )
    summary_en = models.CharField(
        _("summary (English)"),
        max_length=300,
    )
    reason = models.TextField(
        _("reason"),
        blank=True,
    )
    object_key = models.CharField(
        _("record"),
        max_length=200,
        blank=True,
    )
    at = models.DateTimeField(
        _("at"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("containment action")
        verbose_name_plural = _("containment actions")
        indexes = [
            models.Index(
                fields=["incident", "at"],
                name="guard_action_incident_at",
            ),
        ]

    def __str__(self) -> str:
        return self.summary_en

    def summary(self, language: str) -> str:
        """Return what was done in ``language`` (ja or en)."""
        return self.summary_en if language.startswith("en") else self.summary_ja


class BlockedSource(AuditedModel):
    """An address or network whose traffic the edge refuses (SRM 10-2-1, 10-6-1): served as
    an nginx deny file, a HAProxy ACL file and JSON, until it expires or is lifted."""

    audit_values: ClassVar[tuple[str, ...]] = ("lifted_at", "expires_at")
    network = models.CharField(
        _("address or network (CIDR)"),
        max_length=50,
    )
    reason = models.CharField(
        _("reason"),
        max_length=300,
    )
    incident = models.ForeignKey(
        "operations.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="blocked_sources",
        verbose_name=_("incident"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("blocked by"),
    )
    at = models.DateTimeField(
        _("blocked at"),
    )
    expires_at = models.DateTimeField(
        _("expires at"),
        null=True,
        blank=True,
    )
    lifted_at = models.DateTimeField(
        _("lifted at"),
        null=True,
        blank=True,
    )
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("blocked source")
        verbose_name_plural = _("blocked sources")
        constraints = [
            models.UniqueConstraint(
                fields=["network"],
                condition=Q(lifted_at__isnull=True),
                name="guard_block_once_while_active",
            ),
        ]

    def __str__(self) -> str:
        return self.network

    @property
    def active(self) -> bool:
        """Say whether the edge refuses this source now."""
        return self.lifted_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )
