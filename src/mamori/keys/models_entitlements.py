"""Key-holder entitlements (ISM 31): the systems where key holders act, the grants of roles
in them (each approved, carried out and checked by three different people), the imports of
each system's actual accounts, the reconciliations of the two and the findings they raise.

Imported by :mod:`mamori.keys.models`; the logic is in :mod:`mamori.keys.entitlements` and
the pure comparison in :mod:`mamori.engines.keys.entitlements`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel

__all__ = [
    "AccountImport",
    "EntitlementChange",
    "EntitlementFinding",
    "EntitlementGrant",
    "KeySystem",
    "Reconciliation",
]


class KeySystem(AuditedModel):
    """A system where key holders act (ISM 31-2: the system areas holders have authority
    over): its kind, the roles it has (as data), its owner and the wallets it touches."""

    class Kind(models.TextChoices):
        SIGNING = "signing", _("signing service")
        HSM_ADMIN = "hsm_admin", _("HSM administration")
        CLOUD_KMS = "cloud_kms", _("cloud KMS")
        CUSTODY = "custody", _("custody vendor console")
        OTHER = "other", _("other")

    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=Kind.choices,
    )
    roles = models.JSONField(
        _("roles"),
        default=list,
        help_text=_("The roles the system has, as it names them."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    wallets = models.ManyToManyField(
        "keys.Wallet",
        blank=True,
        related_name="systems",
        verbose_name=_("wallets"),
    )
    period_days = models.PositiveSmallIntegerField(
        _("reconcile every (days)"),
        default=31,
    )
    description = models.CharField(
        _("description"),
        max_length=300,
        blank=True,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("key-holder system")
        verbose_name_plural = _("key-holder systems")

    def __str__(self) -> str:
        return self.name


class EntitlementGrant(AuditedModel):
    """A role held by a person in a system (ISM 31-1): active from the moment the granting
    was carried out, inactive once its removal was."""

    system = models.ForeignKey(
        KeySystem,
        on_delete=models.PROTECT,
        related_name="grants",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    role = models.CharField(
        _("role"),
        max_length=100,
    )
    active = models.BooleanField(
        _("active"),
        default=True,
    )
    since = models.DateTimeField(
        _("since"),
    )
    removed_at = models.DateTimeField(
        _("removed at"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["system", "person", "role"]
        verbose_name = _("key-holder grant")
        verbose_name_plural = _("key-holder grants")
        constraints = [
            models.UniqueConstraint(
                fields=["system", "person", "role"],
                condition=models.Q(active=True),
                name="keys_one_active_grant_per_person_role",
            )
        ]


class EntitlementChange(AuditedModel):
    """A grant, change or removal of a role (ISM 31-4/31-5): requested, approved through the
    shared approvals, carried out in the system by one person and checked by another — the
    approver, the doer and the checker three different people."""

    class Action(models.TextChoices):
        GRANT = "grant", _("grant")
        CHANGE = "change", _("change")
        REMOVAL = "removal", _("removal")

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting approval")
        APPROVED = "approved", _("approved, to be carried out")
        REJECTED = "rejected", _("rejected")
        DONE = "done", _("carried out, to be checked")
        CHECKED = "checked", _("checked")
        CHECK_FAILED = "check_failed", _("check failed")

    system = models.ForeignKey(
        KeySystem,
        on_delete=models.PROTECT,
        related_name="changes",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    action = models.CharField(
        _("action"),
        max_length=10,
        choices=Action.choices,
    )
    role = models.CharField(
        _("role"),
        max_length=100,
    )
    previous_role = models.CharField(
        _("previous role"),
        max_length=100,
        blank=True,
    )
    reason = models.CharField(
        _("reason"),
        max_length=300,
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(
        _("requested at"),
    )
    approval = models.ForeignKey(
        "accounts.ApprovalRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(
        _("approved at"),
        null=True,
        blank=True,
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("carried out by"),
    )
    done_at = models.DateTimeField(
        _("carried out at"),
        null=True,
        blank=True,
    )
    done_note = models.CharField(
        _("what was done"),
        max_length=300,
        blank=True,
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(
        _("checked at"),
        null=True,
        blank=True,
    )
    check_note = models.CharField(
        _("check result"),
        max_length=300,
        blank=True,
    )

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("key-holder grant change")
        verbose_name_plural = _("key-holder grant changes")


class AccountImport(AuditedModel):
    """One import of a system's actual accounts and roles (ISM 31-3): who, when, the file's
    SHA-256 and rows, accepted whole or refused whole with every bad row."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("refused")

    system = models.ForeignKey(
        KeySystem,
        on_delete=models.PROTECT,
        related_name="imports",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    at = models.DateTimeField(
        _("imported at"),
    )
    file_name = models.CharField(
        _("file"),
        max_length=200,
    )
    file_format = models.CharField(
        _("format"),
        max_length=40,
    )
    sha256 = models.CharField(
        _("SHA-256"),
        max_length=64,
    )
    row_count = models.PositiveIntegerField(
        _("rows"),
        default=0,
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
    )
    rows = models.JSONField(
        _("accounts"),
        default=list,
        blank=True,
    )
    errors = models.JSONField(
        _("bad rows"),
        default=list,
        blank=True,
    )

    class Meta:
        ordering = ["-at"]
        verbose_name = _("account import")
        verbose_name_plural = _("account imports")


class Reconciliation(AuditedModel):
    """One comparison of a system's grants with an accepted import (ISM 31-1): how many
    findings it saw, raised anew and cleared."""

    system = models.ForeignKey(
        KeySystem,
        on_delete=models.PROTECT,
        related_name="reconciliations",
    )
    source = models.ForeignKey(
        AccountImport,
        on_delete=models.PROTECT,
        related_name="reconciliations",
    )
    at = models.DateTimeField(
        _("reconciled at"),
    )
    found = models.PositiveIntegerField(
        _("findings"),
        default=0,
    )
    raised = models.PositiveIntegerField(
        _("new findings"),
        default=0,
    )
    cleared = models.PositiveIntegerField(
        _("cleared findings"),
        default=0,
    )

    class Meta:
        ordering = ["-at"]
        verbose_name = _("entitlement reconciliation")
        verbose_name_plural = _("entitlement reconciliations")


class EntitlementFinding(AuditedModel):
    """A discrepancy between grants and a system's accounts (ISM 31-1), open until resolved
    with a reason or cleared by a later import that no longer shows it."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")
        CLEARED = "cleared", _("cleared by a later import")

    system = models.ForeignKey(
        KeySystem,
        on_delete=models.PROTECT,
        related_name="findings",
    )
    key = models.CharField(
        _("key"),
        max_length=700,
    )
    code = models.CharField(
        _("finding"),
        max_length=50,
    )
    account = models.CharField(
        _("account"),
        max_length=200,
        blank=True,
    )
    person_ref = models.CharField(
        _("person"),
        max_length=200,
        blank=True,
    )
    role = models.CharField(
        _("role"),
        max_length=200,
        blank=True,
    )
    expected = models.JSONField(
        _("roles granted"),
        default=list,
        blank=True,
    )
    lesser = models.BooleanField(
        _("warning only"),
        default=False,
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.OPEN,
    )
    raised_by = models.ForeignKey(
        Reconciliation,
        on_delete=models.PROTECT,
        related_name="raised_findings",
    )
    last_seen = models.ForeignKey(
        Reconciliation,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_by = models.ForeignKey(
        Reconciliation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cleared_findings",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    closed_at = models.DateTimeField(
        _("closed at"),
        null=True,
        blank=True,
    )
    resolution = models.CharField(
        _("resolution"),
        max_length=300,
        blank=True,
    )

    class Meta:
        ordering = ["system", "status", "code"]
        verbose_name = _("entitlement finding")
        verbose_name_plural = _("entitlement findings")
        constraints = [
            models.UniqueConstraint(
                fields=["system", "key"],
                condition=models.Q(status="open"),
                name="keys_one_open_finding_per_key",
            )
        ]
