"""Sources of alerts from outside: monitoring, a SIEM, a cloud provider (SRM 7-3, ISM 9-3).

A source signs each alert it posts with its own secret (HMAC-SHA256), kept encrypted here and
shown once when made or rotated.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class AlertSource(AuditedModel):
    """A system outside mamori that raises incidents by signed webhook (SRM 7-3, ISM 9-3)."""

    code = models.SlugField(
        _("source"),
        max_length=50,
        unique=True,
    )
    name = models.CharField(
        _("name"),
        max_length=200,
        blank=True,
    )
    secret_encrypted = models.TextField()
    rotated_at = models.DateTimeField(
        _("created or rotated"),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("alert source")
        verbose_name_plural = _("alert sources")

    def __str__(self) -> str:
        return self.code
