"""Key ceremonies as recorded workflows (ISM 28-1, 28-2) and access to backups with its
detection (ISM 28-3-5).

A ceremony is planned with its script, people and window, approved by two people, conducted
step by step and closed with its public output verified; nothing here holds a secret. A
backup site's webhook secret is kept encrypted (:mod:`mamori.core.crypto`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel

__all__ = [
    "BackupAccess",
    "BackupSiteSecret",
    "Ceremony",
    "CeremonyPerson",
    "CeremonyStep",
]


class Ceremony(AuditedModel):
    """A key ceremony (ISM 28-1 generation, 28-2 recovery and rotation, 28-3 backup check):
    wallet, sites, window, script, people; planned → approved → in progress → completed or
    abandoned."""

    class Kind(models.TextChoices):
        GENERATION = "generation", _("key generation")
        RECOVERY = "recovery", _("recovery")
        ROTATION = "rotation", _("rotation")
        BACKUP_CHECK = "backup_check", _("backup check")

    class State(models.TextChoices):
        PLANNED = "planned", _("planned")
        APPROVED = "approved", _("approved")
        IN_PROGRESS = "in_progress", _("in progress")
        COMPLETED = "completed", _("completed")
        ABANDONED = "abandoned", _("abandoned")

    audit_values = ("state", "script_version")

    class OutputKind(models.TextChoices):
        XPUB = "xpub", _("Bitcoin account extended public key (BIP-44/49/84)")
        MULTISIG = "multisig", _("Bitcoin multisig: one account xpub per line (sortedmulti)")
        EVM = "evm", _("EVM public key")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    wallet = models.ForeignKey(
        "keys.Wallet", on_delete=models.PROTECT, related_name="ceremonies", verbose_name=_("wallet")
    )
    sites = models.ManyToManyField("keys.Site", related_name="ceremonies", verbose_name=_("sites"))
    starts_at = models.DateTimeField(_("window starts"))
    ends_at = models.DateTimeField(_("window ends"))
    script = models.TextField(_("script"), help_text=_("One step per line, in order."))
    script_version = models.PositiveIntegerField(_("script version"), default=1)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PLANNED
    )
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("planned by"),
    )
    approval = models.ForeignKey(
        "accounts.ApprovalRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approval request"),
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closing_note = models.CharField(_("closing note"), max_length=500, blank=True)
    output_kind = models.CharField(
        _("kind of output"), max_length=10, choices=OutputKind.choices, blank=True
    )
    output_public = models.TextField(_("public output"), blank=True)
    output_addresses = models.TextField(_("registered addresses"), blank=True)
    output_result = models.JSONField(_("verification result"), default=list, blank=True)
    output_matched = models.BooleanField(_("every address matched"), null=True, blank=True)
    output_at = models.DateTimeField(_("output recorded"), null=True, blank=True)
    output_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("output recorded by"),
    )

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("key ceremony")
        verbose_name_plural = _("key ceremonies")

    def __str__(self) -> str:
        return self.title

    def script_lines(self) -> list[str]:
        """Return the script's steps, one per non-empty line."""
        return [line.strip() for line in self.script.splitlines() if line.strip()]


class CeremonyPerson(AuditedModel):
    """A person at a ceremony: a participant with their part, or a witness (one person is
    one or the other, never both)."""

    ceremony = models.ForeignKey(Ceremony, on_delete=models.CASCADE, related_name="people")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    part = models.CharField(_("part"), max_length=200, blank=True)
    witness = models.BooleanField(_("witness"), default=False)

    class Meta:
        ordering = ["ceremony", "witness", "pk"]
        verbose_name = _("ceremony participant")
        verbose_name_plural = _("ceremony participants")
        constraints = [
            models.UniqueConstraint(fields=["ceremony", "person"], name="keys_ceremony_person_once")
        ]


class CeremonyStep(AuditedModel):
    """One step of a ceremony's script, checked off by a person with the time and a note."""

    ceremony = models.ForeignKey(Ceremony, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveIntegerField(_("step"))
    text = models.CharField(_("what is done"), max_length=500)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["ceremony", "number"]
        verbose_name = _("ceremony step")
        verbose_name_plural = _("ceremony steps")
        constraints = [
            models.UniqueConstraint(fields=["ceremony", "number"], name="keys_ceremony_step_once")
        ]


class BackupSiteSecret(AuditedModel):
    """The secret a backup site signs its access events with (ISM 28-3-5), kept encrypted;
    shown once when created or rotated."""

    site = models.OneToOneField(
        "keys.Site", on_delete=models.CASCADE, related_name="event_secret", verbose_name=_("site")
    )
    secret_encrypted = models.TextField()
    rotated_at = models.DateTimeField(_("created or rotated"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["site"]
        verbose_name = _("backup site event secret")
        verbose_name_plural = _("backup site event secrets")


class BackupAccess(AuditedModel):
    """An access to a backup reported by its site (ISM 28-3-5): expected when an approved or
    running ceremony at the site covers its time, otherwise an open finding until someone
    acknowledges it with a reason."""

    class Kind(models.TextChoices):
        VAULT_OPENED = "vault_opened", _("vault opened")
        HSM_LOGIN = "hsm_login", _("HSM login")
        SHARE_OUT = "share_checked_out", _("share checked out")
        SHARE_IN = "share_checked_in", _("share checked in")

    audit_values = ("expected", "acknowledged_reason")

    class Channel(models.TextChoices):
        WEBHOOK = "webhook", _("signed webhook")
        NATS = "nats", _("NATS")

    event_id = models.CharField(_("event id"), max_length=100)
    backup = models.ForeignKey(
        "keys.Backup", on_delete=models.CASCADE, related_name="accesses", verbose_name=_("backup")
    )
    site = models.ForeignKey(
        "keys.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.CharField(_("who"), max_length=150)
    at = models.DateTimeField(_("at"))
    received_at = models.DateTimeField(_("received"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    expected = models.BooleanField(_("expected"))
    ceremony = models.ForeignKey(
        Ceremony,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="accesses",
        verbose_name=_("ceremony"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("backup access")
        verbose_name_plural = _("backup accesses")
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "backup"], name="keys_backup_access_once_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.backup_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def open(self) -> bool:
        """An unexpected access not acknowledged yet."""
        return not self.expected and self.acknowledged_at is None
