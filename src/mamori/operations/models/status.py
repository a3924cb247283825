"""The daily confirmation of operating status (SRM 21-2) and the days it was missed.

- :class:`DailyConfirmation`: the on-duty system manager confirms that a day's operating status
  was analysed and that there was no abnormality, or records what was found, with a snapshot of
  what the page showed (alerts, incidents, availability per service). One per day; a correction
  is a new record pointing at the first.
- :class:`MissedConfirmation`: a day nobody confirmed by the set hour of the next day — a
  finding of its own (SRM 21-2), raised once by the scheduler job.
- :class:`StatusSetting`: that hour, as data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class StatusSetting(AuditedModel):
    """When a day's confirmation is due (SRM 21-2). One row; without it the defaults."""

    confirm_by_hour = models.PositiveSmallIntegerField(
        _("a day is confirmed by this hour of the next day (Asia/Tokyo)"),
        default=12,
    )

    class Meta:
        verbose_name = _("operating-status setting")
        verbose_name_plural = _("operating-status settings")

    def __str__(self) -> str:
        return f"confirm by {self.confirm_by_hour}:00"


class DailyConfirmation(AuditedModel):
    """A day's operating status analysed and confirmed by the system manager (SRM 21-2)."""

    date = models.DateField(
        _("day"),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    no_abnormality = models.BooleanField(
        _("no abnormality"),
    )
    findings = models.TextField(
        _("what was found"),
        blank=True,
    )
    snapshot = models.JSONField(
        _("what was shown"),
        default=dict,
    )
    at = models.DateTimeField(
        _("confirmed at"),
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )

    class Meta:
        ordering = ["-date", "-at"]
        verbose_name = _("daily confirmation")
        verbose_name_plural = _("daily confirmations")
        constraints = [
            models.UniqueConstraint(
                fields=["date"],
                condition=models.Q(corrects__isnull=True),
                name="operations_confirmation_one_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {'ok' if self.no_abnormality else 'findings'}"


class MissedConfirmation(AuditedModel):
    """A day not confirmed by the set hour of the next day: a finding (SRM 21-2)."""

    date = models.DateField(
        _("day"),
        unique=True,
    )
    due_at = models.DateTimeField(
        _("was due at"),
    )
    raised_at = models.DateTimeField(
        _("raised at"),
    )

    class Meta:
        ordering = ["-date"]
        verbose_name = _("missed daily confirmation")
        verbose_name_plural = _("missed daily confirmations")

    def __str__(self) -> str:
        return f"missed {self.date}"
