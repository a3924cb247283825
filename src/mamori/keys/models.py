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
from mamori.core.amounts import BaseUnitsField


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


class SigningPolicy(AuditedModel):
    """How the pre-sign check reads one wallet's transactions (ISM 29-1-4): the Bitcoin
    network or EVM chain id, the most a transaction may spend on fees, the Safe multisig and
    what it may ``delegatecall``, and how long an approved withdrawal waits to be signed."""

    wallet = models.OneToOneField(
        Wallet,
        on_delete=models.CASCADE,
        related_name="signing",
        verbose_name=_("wallet"),
    )
    network = models.CharField(
        _("Bitcoin network"),
        max_length=10,
        blank=True,
        choices=[
            ("main", "main"),
            ("test", "test"),
            ("regtest", "regtest"),
            ("signet", "signet"),
        ],
    )
    chain_id = models.PositiveBigIntegerField(
        _("EVM chain id"),
        null=True,
        blank=True,
    )
    max_fee = BaseUnitsField(
        _("largest fee (base units)"),
        null=True,
        blank=True,
    )
    max_fee_rate = models.PositiveBigIntegerField(
        _("largest fee rate (sat/vB or wei/gas)"),
        null=True,
        blank=True,
    )
    safe_address = models.CharField(
        _("Safe address"),
        max_length=42,
        blank=True,
    )
    safe_version = models.CharField(
        _("Safe version"),
        max_length=10,
        default="1.3.0",
    )
    delegatecall_allowlist = models.JSONField(
        _("delegatecall targets allowed"),
        default=list,
        blank=True,
    )
    multisend = models.JSONField(
        _("MultiSend contracts"),
        default=list,
        blank=True,
    )
    intent_hours = models.PositiveIntegerField(
        _("hours an approved withdrawal may wait to be signed"),
        default=24,
    )

    class Meta:
        verbose_name = _("signing policy")
        verbose_name_plural = _("signing policies")

    def __str__(self) -> str:
        return f"{self.wallet}"


class WithdrawalIntent(AuditedModel):
    """A withdrawal the custody check allowed — at once, or after its release was approved —
    waiting to be signed (ISM 29-1-4). Made from the monitor's journal in decision order, one
    per withdrawal request; marked signed by the first *sign* answer that pays it, sent when
    the exchange reports it sent (then no transaction may pay it again)."""

    class State(models.TextChoices):
        HELD = "held", _("held for approval")
        APPROVED = "approved", _("approved, waiting to be signed")
        SIGNED = "signed", _("signed")
        SENT = "sent", _("sent")
        CANCELLED = "cancelled", _("cancelled")
        REJECTED = "rejected", _("release rejected")

    event_id = models.CharField(
        _("withdrawal request"),
        max_length=200,
        unique=True,
    )
    customer = models.CharField(
        _("customer"),
        max_length=200,
    )
    asset = models.CharField(
        _("asset"),
        max_length=20,
    )
    chain = models.CharField(
        _("chain"),
        max_length=40,
    )
    amount = BaseUnitsField(
        _("amount (base units)"),
    )
    destination = models.CharField(
        _("destination"),
        max_length=200,
    )
    token_contract = models.CharField(
        _("token contract"),
        max_length=100,
        blank=True,
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=State.choices,
    )
    decided_at = models.DateTimeField(
        _("decided at"),
    )
    approved_at = models.DateTimeField(
        _("approved at"),
        null=True,
        blank=True,
    )
    approval = models.ForeignKey(
        "accounts.ApprovalRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("release approval"),
    )
    signed_at = models.DateTimeField(
        _("signed at"),
        null=True,
        blank=True,
    )
    signed_hash = models.CharField(
        _("hash signed"),
        max_length=80,
        blank=True,
    )

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("withdrawal intent")
        verbose_name_plural = _("withdrawal intents")
        indexes = [models.Index(fields=["state", "asset"], name="keys_intent_state_asset")]

    def __str__(self) -> str:
        return self.event_id


class IntentCursor(AuditedModel):
    """How far the monitor's journal has been read into withdrawal intents: one row."""

    last_record = models.PositiveBigIntegerField(
        default=0,
    )

    def __str__(self) -> str:
        return str(self.last_record)


class PresignAnswer(AuditedModel):
    """One answer of the pre-sign check (ISM 29-1-4): who asked, for which wallet, the hash
    that would be signed, *sign* or *refuse* and every reason. Each is an audit-log entry."""

    class Decision(models.TextChoices):
        SIGN = "sign", _("sign")
        REFUSE = "refuse", _("refuse")

    wallet = models.ForeignKey(
        Wallet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="presign_answers",
        verbose_name=_("wallet"),
    )
    wallet_name = models.CharField(
        _("wallet asked for"),
        max_length=100,
    )
    caller = models.CharField(
        _("asked by"),
        max_length=200,
    )
    channel = models.CharField(
        _("channel"),
        max_length=10,
    )
    kind = models.CharField(
        _("transaction kind"),
        max_length=10,
    )
    request_sha256 = models.CharField(
        _("SHA-256 of the transaction sent"),
        max_length=64,
    )
    tx_hash = models.CharField(
        _("hash to be signed"),
        max_length=80,
        blank=True,
    )
    decision = models.CharField(
        _("answer"),
        max_length=10,
        choices=Decision.choices,
    )
    reasons = models.JSONField(
        _("reasons"),
        default=list,
        blank=True,
    )
    transfers = models.JSONField(
        _("transfers"),
        default=list,
        blank=True,
    )
    intents = models.JSONField(
        _("withdrawals paid"),
        default=list,
        blank=True,
    )
    fee = BaseUnitsField(
        _("fee (base units)"),
        null=True,
        blank=True,
    )
    at = models.DateTimeField(
        _("answered at"),
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("pre-sign answer")
        verbose_name_plural = _("pre-sign answers")
        indexes = [models.Index(fields=["tx_hash"], name="keys_presign_tx_hash")]

    def __str__(self) -> str:
        return f"{self.decision} {self.tx_hash or self.request_sha256[:12]}"


from mamori.keys.models_ceremony import (  # noqa: E402  (issue 26: ceremonies, backup access)
    BackupAccess,
    BackupSiteSecret,
    Ceremony,
    CeremonyPerson,
    CeremonyStep,
)
from mamori.keys.models_entitlements import (  # noqa: E402  (key-holder entitlements, ISM 31)
    AccountImport,
    EntitlementChange,
    EntitlementFinding,
    EntitlementGrant,
    KeySystem,
    Reconciliation,
)
from mamori.keys.models_leak import (  # noqa: E402  (leak response, ISM 30; see the module)
    Drill,
    ResponseDocument,
    ResponseVersion,
    SiteClosure,
)

__all__ = [
    "AccountImport",
    "Backup",
    "BackupAccess",
    "BackupSiteSecret",
    "Ceremony",
    "CeremonyPerson",
    "CeremonyStep",
    "Drill",
    "EntitlementChange",
    "EntitlementFinding",
    "EntitlementGrant",
    "GenerationRecord",
    "IntentCursor",
    "KeyMaterial",
    "KeySystem",
    "PresignAnswer",
    "Reconciliation",
    "ResponseDocument",
    "ResponseVersion",
    "RuleResult",
    "SigningPolicy",
    "Site",
    "SiteClosure",
    "SpreadRule",
    "Wallet",
    "WithdrawalIntent",
]
