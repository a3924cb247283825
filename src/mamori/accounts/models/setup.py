"""The organisation running mamori and invitations of its people (SRM 5, ISM 7, ISM 23-1-1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models.bilingual import BilingualName
from mamori.auditlog.audited import AuditedModel


class Organisation(BilingualName):
    """The exchange this installation serves (one row): its name heads every page (SRM 5)."""

    singleton = models.BooleanField(
        default=True,
        editable=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["singleton"],
                name="accounts_organisation_one",
            ),
            models.CheckConstraint(
                condition=Q(singleton=True),
                name="accounts_organisation_singleton_true",
            ),
        ]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    @classmethod
    def current(cls) -> Organisation | None:
        """Return the organisation, or None before ``mamori setup`` named it."""
        return cls.objects.first()


class Invitation(AuditedModel):
    """A one-time code with which an invited person sets a password and enrols an authenticator
    (ISM 23-1-1); only a keyed digest of the code is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    digest = models.CharField(
        max_length=64,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(
        auto_now_add=True,
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    revoked_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"

    @property
    def is_usable(self) -> bool:
        """Return whether the code may still be used."""
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()
