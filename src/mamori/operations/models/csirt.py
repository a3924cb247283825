"""The CSIRT (SRM 9-3-3, 9-3-4, 9-3-5): its roster with contact details, the weekly on-call
rotation, the external contacts (JPCERT/CC, the association, vendors) and the threat
information shared with it, taken into the incident catalogue (SRM 8-4, ISM 15-3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class CsirtMember(AuditedModel):
    """A CSIRT member: role in the team and contact details (SRM 9-3-3). The phone and email
    are masked in lists and exports; ``rotation_position`` orders the on-call rotation (empty:
    not on call)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("CSIRT lead")
        HANDLER = "handler", _("incident handler")
        ANALYST = "analyst", _("analyst")
        LIAISON = "liaison", _("liaison (outside contacts)")

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    role = models.CharField(
        _("role in the CSIRT"),
        max_length=20,
        choices=Role.choices,
    )
    phone = models.CharField(
        _("phone"),
        max_length=40,
    )
    email = models.EmailField(
        _("email"),
    )
    rotation_position = models.PositiveSmallIntegerField(
        _("position in the on-call rotation"),
        null=True,
        blank=True,
    )
    active = models.BooleanField(
        _("active"),
        default=True,
    )

    class Meta:
        ordering = ["rotation_position", "pk"]
        verbose_name = _("CSIRT member")
        verbose_name_plural = _("CSIRT members")

    def __str__(self) -> str:
        return self.person.get_username()


class OnCallRotation(AuditedModel):
    """The weekly on-call rotation (SRM 9-3-3): from ``starts_on``, each week the next member by
    position is on call. One row."""

    starts_on = models.DateField(
        _("rotation starts on"),
    )

    class Meta:
        verbose_name = _("on-call rotation")
        verbose_name_plural = _("on-call rotations")


class ExternalContact(AuditedModel):
    """An outside body the CSIRT works with (SRM 9-3-4, 9-3-5): JPCERT/CC, the association,
    vendors."""

    class Kind(models.TextChoices):
        CERT = "cert", _("CERT / CSIRT")
        ASSOCIATION = "association", _("association")
        AUTHORITY = "authority", _("authority")
        VENDOR = "vendor", _("vendor")
        OTHER = "other", _("other")

    name = models.CharField(
        _("name"),
        max_length=200,
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=Kind.choices,
    )
    purpose = models.CharField(
        _("purpose"),
        max_length=300,
    )
    contact = models.CharField(
        _("contact"),
        max_length=300,
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("external contact")
        verbose_name_plural = _("external contacts")

    def __str__(self) -> str:
        return self.name


class ThreatIntel(AuditedModel):
    """Threat information shared with the CSIRT (SRM 9-3-4), taken into the incident
    catalogue the risk analysis learns from (``risk.ExternalIncident``, SRM 8-4 / ISM 15-3)."""

    source = models.CharField(
        _("source"),
        max_length=200,
    )
    title = models.CharField(
        _("title"),
        max_length=200,
    )
    summary = models.TextField(
        _("summary"),
    )
    received_on = models.DateField(
        _("received on"),
    )
    catalogue_entry = models.OneToOneField(
        "risk.ExternalIncident",
        on_delete=models.PROTECT,
        related_name="+",
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("shared threat information")
        verbose_name_plural = _("shared threat information")

    def __str__(self) -> str:
        return self.title
