"""API tokens for the exchange's services (ISM 23-1-1: least privilege for machine clients)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class ApiToken(AuditedModel):
    """A bearer token limited to scopes and a lifetime; only a keyed digest is stored."""

    name = models.CharField(
        _("name"),
        max_length=100,
    )
    prefix = models.CharField(
        max_length=16,
        unique=True,
        help_text=_("The public part of the token, shown to tell tokens apart."),
    )
    digest = models.CharField(
        max_length=64,
    )
    scopes = models.JSONField(
        default=list,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="created_tokens",
    )
    created_at = models.DateTimeField(
        auto_now_add=True,
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        """Return whether the token is neither revoked nor expired."""
        return self.revoked_at is None and self.expires_at > timezone.now()
