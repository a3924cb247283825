"""Second factor: TOTP devices and one-time recovery codes (ISM 23-1-1)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class TotpDevice(AuditedModel):
    """A user's TOTP authenticator (RFC 6238); the seed is stored encrypted."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="totp_device",
    )
    secret_encrypted = models.TextField()
    created_at = models.DateTimeField(
        auto_now_add=True,
    )
    confirmed_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    last_used_step = models.BigIntegerField(
        default=-1,
        help_text=_("The last accepted time step; a code of this step or earlier is refused."),
    )

    class Meta:
        verbose_name = _("TOTP device")
        verbose_name_plural = _("TOTP devices")

    def __str__(self) -> str:
        return f"TOTP {self.user}"


class RecoveryCode(AuditedModel):
    """A one-time code to sign in without the authenticator; stored only as a keyed digest."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="recovery_codes",
    )
    digest = models.CharField(
        max_length=64,
    )
    created_at = models.DateTimeField(
        auto_now_add=True,
    )
    used_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "digest"],
                name="accounts_recoverycode_unique_digest",
            ),
        ]
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"recovery code of {self.user_id} ({'used' if self.used_at else 'unused'})"
