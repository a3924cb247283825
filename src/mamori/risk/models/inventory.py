"""The information-asset inventory and the threat, vulnerability and incident catalogues
(ISM 14-2, 15-3, 21)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models.bilingual import BilingualName

#: What describes an asset, in the order people read it (the form and the Excel columns).
ASSET_FIELDS = [
    "code",
    "name_ja",
    "name_en",
    "kind",
    "classification",
    "value",
    "owner",
    "custodian",
    "location_kind",
    "location",
    "categories",
]

CONFIDENTIAL_KINDS = {
    "keys": _("cryptographic keys (ISM 24-1-1)"),
    "pins": _("PINs (ISM 24-1-2)"),
    "passwords": _("passwords (ISM 24-1-3)"),
    "cards": _("credit card information (ISM 24-1-4)"),
    "other": _("other information that may cause customers losses (ISM 24-1-5)"),
}


def inventory_problems(categories: list[str], kinds: list[str]) -> list[str]:
    """Return why an asset's data categories and confidential kinds do not fit together."""
    problems = []
    unknown = [k for k in kinds if k not in CONFIDENTIAL_KINDS]
    if unknown:
        problems.append(f"unknown confidential kinds {', '.join(unknown)}")
    if "customer_confidential" in categories and not kinds:
        problems.append(
            "customers' confidential data names which kinds ISM 24-1 lists it holds "
            "(keys, pins, passwords, cards, other)"
        )
    if kinds and "customer_confidential" not in categories:
        problems.append("confidential kinds are named only for customers' confidential data")
    return problems


class InformationAsset(BilingualName):
    """An information asset or a system that holds one, with its value, owner (管理責任者)
    and where it sits (ISM 14-2-1/2), including the places ISM 21-2 names."""

    class Kind(models.TextChoices):
        INFORMATION = "information", _("information")
        SYSTEM = "system", _("system")
        KEY = "key", _("keys and seeds")
        DOCUMENT = "document", _("paper document")
        SERVICE = "service", _("outsourced service")

    class Classification(models.TextChoices):
        PUBLIC = "public", _("public")
        INTERNAL = "internal", _("internal")
        CONFIDENTIAL = "confidential", _("confidential")
        SECRET = "secret", _("strictly confidential")

    class Location(models.TextChoices):
        SYSTEM = "system", _("system")
        CLOUD = "cloud", _("cloud region")
        PAPER = "paper", _("paper archive")
        UNUSED_AREA = "unused_area", _("system area not used in normal work (ISM 21-2-1)")
        DIAGNOSTIC = "diagnostic", _("diagnostic dump (ISM 21-2-2)")
        ARCHIVE = "archive", _("archived documents (ISM 21-2-3)")
        VENDOR = "vendor", _("outsourced")

    audit_values: ClassVar[tuple[str, ...]] = (
        "owner",
        "custodian",
        "classification",
        "value",
        "location_kind",
    )  # History: before/after
    code = models.SlugField(
        max_length=50,
        unique=True,
    )
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
    )
    classification = models.CharField(
        max_length=20,
        choices=Classification.choices,
    )
    value = models.PositiveSmallIntegerField(
        help_text=_("Importance from 1 (low) to 5 (critical)."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    custodian = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    location_kind = models.CharField(
        max_length=20,
        choices=Location.choices,
    )
    location = models.CharField(
        max_length=200,
        blank=True,
    )
    categories = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Data categories: customer_personal, customer_confidential, keys, corporate."),
    )
    confidential_kinds = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "Which confidential information (ISM 24-1) it holds: keys, pins, passwords, cards, "
            "other."
        ),
    )
    held_in = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holds",
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__gte=1, value__lte=5), name="risk_asset_value_1_5"
            ),
        ]
        verbose_name = _("information asset")
        verbose_name_plural = _("information assets")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Threat(BilingualName):
    """A threat in the catalogue (ISM 14-2-3)."""

    code = models.SlugField(
        max_length=50,
        unique=True,
    )
    description_ja = models.TextField(
        blank=True,
    )
    description_en = models.TextField(
        blank=True,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("threat")
        verbose_name_plural = _("threats")


class Vulnerability(BilingualName):
    """A vulnerability in the catalogue (ISM 14-2-4)."""

    code = models.SlugField(
        max_length=50,
        unique=True,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("vulnerability")
        verbose_name_plural = _("vulnerabilities")


class ExternalIncident(BilingualName):
    """An incident at another firm the analysis learns from (ISM 15-3)."""

    code = models.SlugField(
        max_length=50,
        unique=True,
    )
    firm = models.CharField(
        max_length=200,
    )
    year = models.PositiveSmallIntegerField()
    summary_ja = models.TextField(
        blank=True,
    )
    summary_en = models.TextField(
        blank=True,
    )

    class Meta:
        ordering = ["-year", "code"]
        verbose_name = _("incident at another firm")
        verbose_name_plural = _("incidents at other firms")
