"""The key and seed inventory (ISM 28, 29-1-5, 29-1-6): sites, wallets, keys and shares, their
generation records and backups, the spread rules as data and their daily results.

Nothing here holds a secret: a key is described by where it is, who holds it and its public
half at most. :mod:`mamori.keys.services` converts these rows to engine values.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class Site(AuditedModel):
    """A place where keys, shares or backups are kept (ISM 28-2-6: geographic spread)."""

    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
    )
    name = models.CharField(
        _("name"),
        max_length=200,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name


class Wallet(AuditedModel):
    """A wallet: chain, asset, addresses, derivation and signing scheme (ISM 28-2)."""

    class Scheme(models.TextChoices):
        SINGLE = "single", _("single key")
        MULTISIG = "multisig", _("multisig")
        MPC = "mpc", _("MPC / threshold")

    name = models.SlugField(
        _("name"),
        max_length=80,
        unique=True,
    )
    chain = models.CharField(
        _("chain"),
        max_length=40,
    )
    asset = models.CharField(
        _("asset"),
        max_length=20,
    )
    addresses = models.JSONField(
        _("addresses"),
        default=list,
        blank=True,
    )
    derivation_path = models.CharField(
        _("derivation path"),
        max_length=100,
        blank=True,
    )
    scheme = models.CharField(
        _("signing scheme"),
        max_length=10,
        choices=Scheme.choices,
    )
    m = models.PositiveSmallIntegerField(
        _("signatures required (m)"),
        default=1,
    )
    n = models.PositiveSmallIntegerField(
        _("keys (n)"),
        default=1,
    )
    hot = models.BooleanField(
        _("hot wallet"),
        default=False,
    )
    hash_function = models.CharField(
        _("hash function"),
        max_length=30,
        default="sha256",
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible person"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")

    def __str__(self) -> str:
        return self.name

    def scheme_label(self) -> str:
        """Say the scheme with its m and n (``2-of-3 multisig``)."""
        if self.scheme == self.Scheme.SINGLE:
            return str(self.get_scheme_display())
        return f"{self.m}-of-{self.n} {self.get_scheme_display()}"


class KeyMaterial(AuditedModel):
    """A key or a share of one: its holder, site, organisation unit and storage (ISM 28-2-6/7,
    28-3-1). ``unit`` empty means the holder's department (so a person moving department
    moves the key's unit with them)."""

    class Role(models.TextChoices):
        OPERATING = "operating", _("operating")
        RECOVERY = "recovery", _("recovery")
        BACKUP = "backup", _("backup")

    class StorageKind(models.TextChoices):
        HSM = "hsm", _("HSM")
        HARDWARE_WALLET = "hardware_wallet", _("hardware wallet")
        PAPER = "paper", _("paper")
        STEEL = "steel", _("steel")

    wallet = models.ForeignKey(
        Wallet,
        on_delete=models.PROTECT,
        related_name="keys",
    )
    label = models.SlugField(
        _("label"),
        max_length=80,
        unique=True,
    )
    role = models.CharField(
        _("role"),
        max_length=10,
        choices=Role.choices,
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="held_keys",
        verbose_name=_("holder"),
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        related_name="keys",
        verbose_name=_("site"),
    )
    unit = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation unit"),
        help_text=_("Empty: the holder's department."),
    )
    storage_kind = models.CharField(
        _("storage"),
        max_length=20,
        choices=StorageKind.choices,
    )
    storage_model = models.CharField(
        _("device or medium model"),
        max_length=100,
        blank=True,
    )
    encryption = models.CharField(
        _("encryption"),
        max_length=50,
        blank=True,
    )
    curve = models.CharField(
        _("curve"),
        max_length=30,
        default="secp256k1",
    )
    public_key = models.CharField(
        _("public key or extended public key"),
        max_length=200,
        blank=True,
    )
    share_of = models.CharField(
        _("share of"),
        max_length=80,
        blank=True,
        help_text=_("The key this is a share of (SLIP-39 or MPC shares); empty for a whole key."),
    )

    class Meta:
        ordering = ["wallet", "label"]
        verbose_name = _("key or share")
        verbose_name_plural = _("keys and shares")

    def __str__(self) -> str:
        return self.label


class GenerationRecord(AuditedModel):
    """How a key or seed was generated (ISM 28-1-1 to 28-1-3): by whom, with which method and
    RNG, which prior verification, witnessed by whom."""

    key = models.OneToOneField(
        KeyMaterial,
        on_delete=models.CASCADE,
        related_name="generation",
    )
    generated_by = models.CharField(
        _("generated by"),
        max_length=150,
    )
    method = models.CharField(
        _("method"),
        max_length=200,
    )
    rng_spec = models.CharField(
        _("random number generator"),
        max_length=200,
    )
    prior_verification = models.CharField(
        _("prior verification"),
        max_length=200,
        blank=True,
    )
    witnesses = models.CharField(
        _("witnesses"),
        max_length=300,
        blank=True,
    )
    at = models.DateField(
        _("generated on"),
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("generation record")
        verbose_name_plural = _("generation records")


class Backup(AuditedModel):
    """A backup of a key or seed (ISM 28-3-2 to 28-3-6): site, holder, encryption, who may
    reach it and how an access is detected."""

    key = models.ForeignKey(
        KeyMaterial,
        on_delete=models.CASCADE,
        related_name="backups",
    )
    label = models.SlugField(
        _("label"),
        max_length=80,
        unique=True,
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        related_name="backups",
        verbose_name=_("site"),
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="held_backups",
        verbose_name=_("holder"),
    )
    encryption = models.CharField(
        _("encryption"),
        max_length=50,
        blank=True,
    )
    access_rights = models.CharField(
        _("who may access it"),
        max_length=300,
        blank=True,
    )
    access_detection = models.CharField(
        _("access detection"),
        max_length=200,
        blank=True,
    )

    class Meta:
        ordering = ["label"]
        verbose_name = _("backup")
        verbose_name_plural = _("backups")

    def __str__(self) -> str:
        return self.label


class SpreadRule(AuditedModel):
    """A spread rule as data (ISM 28-2-3/6/7, 28-3-2, 29-1-5): the attributes in which two
    placements must differ, for which roles and schemes; read by the engine as a dict."""

    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
    )
    apart = models.JSONField(
        _("kept apart by"),
        default=list,
    )
    scope = models.CharField(
        _("scope"),
        max_length=10,
        default="key",
    )
    roles = models.JSONField(
        _("roles"),
        default=list,
        blank=True,
    )
    against = models.JSONField(
        _("against roles"),
        default=list,
        blank=True,
    )
    schemes = models.JSONField(
        _("schemes"),
        default=list,
        blank=True,
    )
    copies = models.BooleanField(
        _("a key against its own backups"),
        default=False,
    )
    article = models.CharField(
        _("article"),
        max_length=50,
        blank=True,
    )
    text = models.CharField(
        _("text"),
        max_length=300,
        blank=True,
    )
    active = models.BooleanField(
        _("active"),
        default=True,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("spread rule")
        verbose_name_plural = _("spread rules")

    def __str__(self) -> str:
        return self.code


class RuleResult(AuditedModel):
    """Whether one check (a spread rule, a policy or record check) holds for one wallet now,
    with the conflicts when it does not (ISM 28, 29-1-5/6); kept current by the daily check and
    re-evaluated on every change of the inventory."""

    wallet = models.ForeignKey(
        Wallet,
        on_delete=models.CASCADE,
        related_name="results",
    )
    code = models.CharField(
        _("check"),
        max_length=80,
    )
    holds = models.BooleanField(
        _("holds"),
    )
    article = models.CharField(
        _("article"),
        max_length=50,
        blank=True,
    )
    conflicts = models.JSONField(
        _("conflicts"),
        default=list,
        blank=True,
    )
    detail = models.JSONField(
        _("detail"),
        default=dict,
        blank=True,
    )
    since = models.DateTimeField(
        _("since"),
    )
    checked_at = models.DateTimeField(
        _("checked at"),
    )

    class Meta:
        ordering = ["wallet", "code"]
        verbose_name = _("rule result")
        verbose_name_plural = _("rule results")
        constraints = [
            models.UniqueConstraint(
                fields=["wallet", "code"],
                name="keys_result_one_per_wallet_and_check",
            )
        ]


from mamori.keys.models_entitlements import (  # noqa: E402  (key-holder entitlements, ISM 31)
    AccountImport,
    EntitlementChange,
    EntitlementFinding,
    EntitlementGrant,
    KeySystem,
    Reconciliation,
)

__all__ = [
    "AccountImport",
    "Backup",
    "EntitlementChange",
    "EntitlementFinding",
    "EntitlementGrant",
    "GenerationRecord",
    "KeyMaterial",
    "KeySystem",
    "Reconciliation",
    "RuleResult",
    "Site",
    "SpreadRule",
    "Wallet",
]
