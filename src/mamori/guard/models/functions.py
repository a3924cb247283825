"""The kill switch: customer-facing functions and whether they run (SRM 10-2-3).

Other systems (the exchange's front end, its matching engine, its withdrawal service) ask the
state of each function and stop what is off. Turning a function off or degrading it is
recorded at once; turning it back on waits for two approvers other than the person asking.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class Function(AuditedModel):
    """A customer-facing function the kill switch can stop in whole or in part (SRM 10-2-3)."""

    class State(models.TextChoices):
        ON = "on", _("on")
        DEGRADED = "degraded", _("degraded")
        OFF = "off", _("off")

    audit_values: ClassVar[tuple[str, ...]] = ("state", "restore_request")
    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
    )
    name_ja = models.CharField(
        _("name (Japanese)"),
        max_length=100,
    )
    name_en = models.CharField(
        _("name (English)"),
        max_length=100,
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=State.choices,
        default=State.ON,
    )
    reason = models.CharField(
        _("reason"),
        max_length=300,
        blank=True,
    )
    incident = models.ForeignKey(
        "operations.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incident"),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(
        _("changed at"),
        null=True,
        blank=True,
    )
    restore_request = models.OneToOneField(
        "accounts.ApprovalRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="guard_function",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("customer-facing function")
        verbose_name_plural = _("customer-facing functions")

    def __str__(self) -> str:
        return self.code

    def name(self, language: str) -> str:
        """Return the function's name in ``language`` (ja or en)."""
        return self.name_en if language.startswith("en") else self.name_ja
