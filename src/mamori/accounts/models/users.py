"""Staff accounts (ISM 23-1-1: access limited to named, authenticated people)."""

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel, AuditedQuerySet


class AuditedUserManager(UserManager["User"]):
    """Django's user manager (``create_user``, ``get_by_natural_key``…) with an audited
    queryset (:mod:`mamori.auditlog.audited`)."""

    _queryset_class = AuditedQuerySet


class User(AuditedModel, AbstractUser):
    """A member of staff; every account signs in with a password and a TOTP second factor."""

    class Language(models.TextChoices):
        JAPANESE = "ja", _("Japanese")
        ENGLISH = "en", _("English")

    audit_values: ClassVar[tuple[str, ...]] = (
        "is_active",
        "department",
        "manager",
    )  # History: before/after
    display_name = models.CharField(
        _("display name"),
        max_length=150,
        blank=True,
    )
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        help_text=_("Who confirms this person's access in access reviews."),
    )
    language = models.CharField(
        _("language"),
        max_length=5,
        choices=Language.choices,
        blank=True,
        help_text=_("Empty: follow the browser."),
    )

    objects = AuditedUserManager()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def has_confirmed_totp(self) -> bool:
        """Return whether the user has finished TOTP enrolment."""
        device = getattr(self, "totp_device", None)
        return device is not None and device.confirmed_at is not None
