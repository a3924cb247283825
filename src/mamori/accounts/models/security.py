"""Sign-in throttling, lock-out and the record of every attempt (ISM 23-1-1, 23-1-2)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class LoginThrottle(AuditedModel):
    """Failures counted per user name from one address, and per address across names (the
    key, held in ``username``, is ``name|address`` or ``|address``; see
    :mod:`mamori.accounts.services.throttle`); names known or not, so existence does not
    leak."""

    username = models.CharField(
        max_length=150,
        unique=True,
    )
    failures = models.PositiveIntegerField(
        default=0,
    )
    last_failure_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    locked_until = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("sign-in throttle")
        verbose_name_plural = _("sign-in throttles")

    def __str__(self) -> str:
        return f"{self.username}: {self.failures} failure(s)"


class LoginAttempt(AuditedModel):
    """One sign-in step attempted: who, from where, which step, and the outcome."""

    class Stage(models.TextChoices):
        PASSWORD = "password", _("password")
        TOTP = "totp", _("authenticator code")
        RECOVERY = "recovery", _("recovery code")
        LOGOUT = "logout", _("sign-out")

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("success")
        FAILURE = "failure", _("failure")
        THROTTLED = "throttled", _("throttled")
        LOCKED = "locked", _("locked")

    at = models.DateTimeField(
        auto_now_add=True,
        db_index=True,
    )
    username = models.CharField(
        max_length=150,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="login_attempts",
    )
    ip_address = models.GenericIPAddressField(
        null=True,
        blank=True,
    )
    stage = models.CharField(
        max_length=10,
        choices=Stage.choices,
    )
    outcome = models.CharField(
        max_length=10,
        choices=Outcome.choices,
    )
    reason = models.CharField(
        max_length=200,
        blank=True,
    )

    class Meta:
        ordering = ["-at"]
        verbose_name = _("sign-in attempt")
        verbose_name_plural = _("sign-in attempts")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.stage} {self.outcome}"
