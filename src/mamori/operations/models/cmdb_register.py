"""The evaluation of configuration management (SRM 12-5): how many days count as "seen
recently" (data) and the yearly review the system general manager signs with the measured
figures attached."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class CmdbSetting(AuditedModel):
    """How recent a source's report must be for an item to count as known (SRM 12-5); one row."""

    seen_within_days = models.PositiveIntegerField(
        _("seen in a source within (days)"),
        default=30,
    )
    licence_warning_days = models.PositiveIntegerField(
        _("licences expiring within (days)"),
        default=60,
    )

    class Meta:
        verbose_name = _("configuration-management setting")
        verbose_name_plural = _("configuration-management settings")

    def __str__(self) -> str:
        return f"{self.seen_within_days}d"


class CmdbReview(AuditedModel):
    """The yearly evaluation of configuration management signed by the system general manager,
    with the figures measured at signing (SRM 12-5)."""

    year = models.PositiveIntegerField(
        _("year"),
        unique=True,
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("signed by"),
    )
    signed_at = models.DateTimeField(
        _("signed at"),
    )
    figures = models.JSONField(
        _("figures"),
        default=dict,
    )
    conclusion = models.TextField(
        _("conclusion"),
    )

    class Meta:
        ordering = ["-year"]
        verbose_name = _("configuration-management review")
        verbose_name_plural = _("configuration-management reviews")

    def __str__(self) -> str:
        return str(self.year)
