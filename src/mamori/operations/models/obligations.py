"""Reporting obligations as data with clocks (SRM 6-1-3, ISM 8-1-3: command including contact
with the authorities; SRM 7-3, ISM 9-3: report at once; APPI art. 26: the PPC's reports).

An :class:`ObligationRule` says who must be told of which incidents and by when; each incident
gets one :class:`Obligation` per rule that applies to it, its due time computed from the
detection time by :mod:`mamori.engines.incidents.clocks`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel
from mamori.operations.models.incidents import Incident


class Recipient(models.TextChoices):
    """Who a report goes to."""

    SYSTEM_GENERAL_MANAGER = "system_general_manager", _("system general manager")
    CISO = "ciso", _("CISO")
    BOARD = "board", _("board of directors")
    AUTHORITY = "authority", _("authorities (FSA / Local Finance Bureau)")
    ASSOCIATION = "association", _("association (JVCEA)")
    PPC = "ppc", _("Personal Information Protection Commission")
    CUSTOMERS = "customers", _("customers")


class Stage(models.TextChoices):
    """Which report of the series."""

    FIRST = "first", _("first report")
    INTERIM = "interim", _("interim report")
    FINAL = "final", _("final report")
    PRELIMINARY = "preliminary", _("preliminary report")
    CONFIRMED = "confirmed", _("confirmed report")


class ObligationRule(AuditedModel):
    """Who must be told of which incidents by when, kept as data (SRM 6-1-3, 7-3; ISM 8-1-3,
    9-3): kinds (none = every kind), the least severity, personal data, unauthorised access,
    the recipient and stage, and the due rule counted from detection."""

    class Unit(models.TextChoices):
        HOURS = "hours", _("hours after detection")
        CALENDAR_DAYS = "calendar_days", _("calendar days after detection")
        BUSINESS_DAYS = "business_days", _("business days after detection")

    class Access(models.TextChoices):
        ANY = "any", _("either")
        YES = "yes", _("only with unauthorised access")
        NO = "no", _("only without unauthorised access")

    code = models.SlugField(
        _("code"),
        max_length=60,
        unique=True,
    )
    name = models.CharField(
        _("name"),
        max_length=200,
    )
    kinds = models.JSONField(
        _("kinds (none: every kind)"),
        default=list,
        blank=True,
    )
    min_severity = models.CharField(
        _("at least severity"),
        max_length=2,
        choices=Incident.Severity.choices,
        default=Incident.Severity.S4,
    )
    personal_data_required = models.BooleanField(
        _("only when personal data is involved"),
        default=False,
    )
    unauthorised_access = models.CharField(
        _("unauthorised access"),
        max_length=3,
        choices=Access.choices,
        default=Access.ANY,
    )
    recipient = models.CharField(
        _("recipient"),
        max_length=30,
        choices=Recipient.choices,
    )
    stage = models.CharField(
        _("stage"),
        max_length=20,
        choices=Stage.choices,
    )
    due_unit = models.CharField(
        _("due in"),
        max_length=20,
        choices=Unit.choices,
    )
    due_amount = models.PositiveIntegerField(
        _("amount"),
    )
    roll_to_business_day = models.BooleanField(
        _("a deadline on a holiday moves to the next business day"),
        default=False,
    )
    active = models.BooleanField(
        _("active"),
        default=True,
    )
    basis = models.CharField(
        _("basis"),
        max_length=200,
        blank=True,
    )

    class Meta:
        ordering = ["recipient", "stage", "code"]
        verbose_name = _("reporting rule")
        verbose_name_plural = _("reporting rules")

    def __str__(self) -> str:
        return self.name


class Obligation(AuditedModel):
    """One report an incident owes, with its clock (SRM 6-1-3, 7-3; ISM 8-1-3, 9-3). Marked
    sent only with who sent it and when; waived only with a reason."""

    class Status(models.TextChoices):
        DUE = "due", _("due")
        SENT = "sent", _("sent")
        WAIVED = "waived", _("waived")
        WITHDRAWN = "withdrawn", _("no longer required")

    incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,
        related_name="obligations",
    )
    rule = models.ForeignKey(
        ObligationRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="obligations",
    )
    name = models.CharField(
        _("report"),
        max_length=200,
    )
    recipient = models.CharField(
        _("recipient"),
        max_length=30,
        choices=Recipient.choices,
    )
    stage = models.CharField(
        _("stage"),
        max_length=20,
        choices=Stage.choices,
    )
    due_at = models.DateTimeField(
        _("due at"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.DUE,
    )
    sent_at = models.DateTimeField(
        _("sent at"),
        null=True,
        blank=True,
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    channel = models.CharField(
        _("channel"),
        max_length=100,
        blank=True,
    )
    submission_reference = models.CharField(
        _("submission reference"),
        max_length=200,
        blank=True,
    )
    waived_reason = models.TextField(
        _("reason waived"),
        blank=True,
    )
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    escalated = models.JSONField(
        _("escalations done"),
        default=list,
        blank=True,
    )
    overdue_at = models.DateTimeField(
        _("marked overdue at"),
        null=True,
        blank=True,
    )
    draft = models.TextField(
        _("report text"),
        blank=True,
    )

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("reporting obligation")
        verbose_name_plural = _("reporting obligations")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "rule"],
                name="obligation_once_per_rule",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent")
                | (models.Q(sent_at__isnull=False) & models.Q(sent_by__isnull=False)),
                name="obligation_sent_has_sender",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "due_at"],
                name="obligation_status_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident.reference} {self.name}"

    @property
    def is_open(self) -> bool:
        """Say whether the report still has to be sent."""
        return self.status == self.Status.DUE
