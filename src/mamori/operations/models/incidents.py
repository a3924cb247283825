"""The incident register (SRM 7-3, ISM 9-3: report at once; SRM 6-1-3, ISM 8-1-3: command
including contact with the authorities; SRM 9: CSIRT; SRM 10-2: containment).

An incident is reported by a person in two fields (what, where) or raised by a service (a custody
halt, a reconciliation difference, a failed log verification, a spread-rule violation, an alert
from outside). Every change to it is a :class:`TimelineEntry`, so its history is its timeline.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel
from mamori.core.amounts import FiatField


class Incident(AuditedModel):
    """One incident, drill or real (SRM 7-3, 6-1-3; ISM 9-3, 8-1-3)."""

    class Kind(models.TextChoices):
        SYSTEM_FAILURE = "system_failure", _("system failure")
        CYBER_ATTACK = "cyber_attack", _("cyber attack")
        INFORMATION_LEAK = "information_leak", _("information leak")
        CRYPTO_ASSET_LEAK = "crypto_asset_leak", _("crypto-asset leak")
        VENDOR_FAILURE = "vendor_failure", _("vendor failure")
        OTHER = "other", _("other")

    class Severity(models.TextChoices):
        S1 = "S1", _("S1 critical")
        S2 = "S2", _("S2 major")
        S3 = "S3", _("S3 moderate")
        S4 = "S4", _("S4 minor")

    class Status(models.TextChoices):
        REPORTED = "reported", _("reported")
        RESPONDING = "responding", _("responding")
        CONTAINED = "contained", _("contained")
        RECOVERED = "recovered", _("recovered")
        CLOSED = "closed", _("closed")

    class Source(models.TextChoices):
        PERSON = "person", _("reported by a person")
        CUSTODY = "custody", _("custody halt")
        RECONCILIATION = "reconciliation", _("reconciliation difference")
        AUDITLOG = "auditlog", _("audit-log verification")
        KEYS = "keys", _("key spread rule")
        WEBHOOK = "webhook", _("alert from outside (webhook)")
        NATS = "nats", _("alert from outside (NATS)")

    reference = models.CharField(
        _("reference"),
        max_length=20,
        unique=True,
    )
    title = models.CharField(
        _("what happened"),
        max_length=300,
    )
    location = models.CharField(
        _("where"),
        max_length=300,
        blank=True,
    )
    description = models.TextField(
        _("description"),
        blank=True,
    )
    kind = models.CharField(
        _("kind"),
        max_length=30,
        choices=Kind.choices,
        default=Kind.OTHER,
    )
    severity = models.CharField(
        _("severity"),
        max_length=2,
        choices=Severity.choices,
        default=Severity.S4,
    )
    severity_rule = models.CharField(
        _("severity set by"),
        max_length=200,
        blank=True,
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.REPORTED,
    )
    drill = models.BooleanField(
        _("drill"),
        default=False,
    )
    source = models.CharField(
        _("source"),
        max_length=20,
        choices=Source.choices,
        default=Source.PERSON,
    )
    source_key = models.CharField(
        _("source key"),
        max_length=200,
        unique=True,
        null=True,
        blank=True,
    )
    detected_at = models.DateTimeField(
        _("detected at"),
    )
    reported_at = models.DateTimeField(
        _("reported at"),
        auto_now_add=True,
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(
        _("closed at"),
        null=True,
        blank=True,
    )
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commander"),
    )
    customers_affected = models.PositiveIntegerField(
        _("customers affected"),
        default=0,
    )
    assets_at_risk_jpy = FiatField(
        _("assets at risk (JPY)"),
        max_digits=20,
        decimal_places=0,
        default=0,
    )
    outage_minutes = models.PositiveIntegerField(
        _("outage (minutes)"),
        default=0,
    )
    records_affected = models.PositiveIntegerField(
        _("personal-data records affected"),
        default=0,
    )
    personal_data = models.BooleanField(
        _("personal data involved"),
        default=False,
    )
    unauthorised_access = models.BooleanField(
        _("unauthorised access (for the PPC's 60-day report)"),
        default=False,
    )
    systems = models.JSONField(
        _("affected systems and services"),
        default=list,
        blank=True,
    )
    assets = models.JSONField(
        _("affected assets"),
        default=list,
        blank=True,
    )

    class Meta:
        ordering = ["-detected_at", "-pk"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(
                fields=["status", "detected_at"],
                name="incident_status_detected",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        """Say whether the incident is still being handled."""
        return self.status != self.Status.CLOSED


class IncidentRole(AuditedModel):
    """A person in a role of the response: communications, technical lead, scribe (SRM 9)."""

    class Role(models.TextChoices):
        COMMUNICATIONS = "communications", _("communications")
        TECHNICAL_LEAD = "technical_lead", _("technical lead")
        SCRIBE = "scribe", _("scribe")

    incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,
        related_name="roles",
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=Role.choices,
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["role"]
        verbose_name = _("incident role")
        verbose_name_plural = _("incident roles")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "role"],
                name="incident_role_once",
            ),
        ]


class IncidentLink(AuditedModel):
    """A record the incident concerns: a halt, a reconciliation case, a risk, a change, a vendor,
    an audit-log verification, a key finding (by its audited object type and key)."""

    incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,
        related_name="links",
    )
    object_type = models.CharField(
        _("record type"),
        max_length=80,
    )
    object_key = models.CharField(
        _("record"),
        max_length=120,
    )
    label = models.CharField(
        _("label"),
        max_length=200,
        blank=True,
    )

    class Meta:
        ordering = ["object_type", "object_key"]
        verbose_name = _("incident link")
        verbose_name_plural = _("incident links")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "object_type", "object_key"],
                name="incident_link_once",
            ),
        ]


class TimelineEntry(AuditedModel):
    """One entry of an incident's timeline: every change, note, action and report is one.
    Entries are only added, never changed (the audit log records each)."""

    incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,
        related_name="timeline",
    )
    at = models.DateTimeField(
        _("at"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(
        _("entry"),
        max_length=30,
    )
    text = models.TextField(
        _("text"),
        blank=True,
    )
    data = models.JSONField(
        default=dict,
        blank=True,
    )

    #: What each kind of entry is called on the page.
    KIND_LABELS: ClassVar[dict[str, Any]] = {
        "reported": _("reported"),
        "commander": _("commander"),
        "status": _("status"),
        "severity": _("severity"),
        "facts": _("impact"),
        "role": _("role"),
        "note": _("note"),
        "link": _("link"),
        "review": _("post-incident review"),
        "action": _("follow-up action"),
        "drill_step": _("drill step"),
        "containment": _("containment"),
        "containment_lifted": _("containment lifted"),
        "notice": _("customer notice"),
        "obligation": _("report"),
        "obligation_due": _("report owed"),
        "obligation_sent": _("report sent"),
        "obligation_waived": _("report waived"),
        "obligation_withdrawn": _("report withdrawn"),
        "obligation_escalated": _("reminder sent"),
        "obligation_draft": _("report drafted"),
    }

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    @property
    def kind_label(self) -> str:
        """Return the entry's kind as people read it (the code if it has no label)."""
        return str(self.KIND_LABELS.get(self.kind, self.kind))


class SeverityRule(AuditedModel):
    """A rule of severity kept as data: ``severity`` when ``fact`` is at least ``at_least``,
    for one kind or all (SRM 6-1-3)."""

    severity = models.CharField(
        _("severity"),
        max_length=2,
        choices=Incident.Severity.choices,
    )
    fact = models.CharField(
        _("fact"),
        max_length=30,
        choices=[
            ("customers_affected", _("customers affected")),
            ("assets_at_risk_jpy", _("assets at risk (JPY)")),
            ("outage_minutes", _("outage (minutes)")),
            ("records_affected", _("personal-data records affected")),
        ],
    )
    at_least = FiatField(
        _("at least"),
        max_digits=20,
        decimal_places=0,
    )
    kind = models.CharField(
        _("only for kind"),
        max_length=30,
        choices=Incident.Kind.choices,
        blank=True,
    )

    class Meta:
        ordering = ["severity", "fact", "at_least"]
        verbose_name = _("severity rule")
        verbose_name_plural = _("severity rules")

    def __str__(self) -> str:
        return f"{self.severity}: {self.fact} ≥ {self.at_least}"
