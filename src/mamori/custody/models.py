"""Custody records: assets, wallets, thresholds, the monitor's journal and halts (ISM 27)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel
from mamori.core.amounts import BaseUnitsField, FiatField

__all__ = [
    "AllowedAddress",
    "Asset",
    "CapPolicy",
    "Halt",
    "HeldWithdrawal",
    "MonitorRecord",
    "ThresholdRule",
    "Wallet",
    "active_halts",
    "scope_text",
]


class Asset(AuditedModel):
    """A crypto-asset the exchange handles, with its base-unit decimals (ISM 27-1)."""

    code = models.CharField(
        max_length=20,
        unique=True,
    )
    name = models.CharField(
        max_length=100,
    )
    chain = models.CharField(
        max_length=40,
    )
    decimals = models.PositiveSmallIntegerField()
    contract = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("Token contract address (ERC-20); empty for the chain's native asset."),
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Told at once when a threshold of this asset is reached (ISM 27-3)."),
    )
    unknown_address = models.CharField(
        max_length=10,
        choices=[
            ("hold", _("hold for approval")),
            ("reject", _("reject")),
            ("allow", _("allow (allowlist not enforced)")),
        ],
        default="hold",
        help_text=_("What happens to a withdrawal to an address not on the allowlist."),
    )
    address_cooldown_hours = models.PositiveIntegerField(
        default=24,
        help_text=_("A newly approved address is usable only after this many hours."),
    )

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return self.code


class Wallet(AuditedModel):
    """A wallet of the exchange: hot, warm or cold, its keys and who answers for it
    (ISM 27-1-2, 28-2)."""

    class Kind(models.TextChoices):
        HOT = "hot", _("hot")
        WARM = "warm", _("warm")
        COLD = "cold", _("cold")

    name = models.CharField(
        max_length=100,
        unique=True,
    )
    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
    )
    asset = models.ForeignKey(
        Asset,
        on_delete=models.PROTECT,
        related_name="wallets",
    )
    address = models.CharField(
        max_length=200,
    )
    multisig_m = models.PositiveSmallIntegerField(
        default=1,
    )
    multisig_n = models.PositiveSmallIntegerField(
        default=1,
    )
    custodian = models.CharField(
        max_length=100,
        blank=True,
    )
    location = models.CharField(
        max_length=100,
        blank=True,
    )

    class Meta:
        ordering = ("asset", "kind", "name")

    def __str__(self) -> str:
        return self.name


class ThresholdRule(AuditedModel):
    """A threshold of ISM 27-2: direction, scope, level, limit in base units or JPY."""

    class Direction(models.TextChoices):
        DEPOSIT = "deposit", _("deposit")
        WITHDRAWAL = "withdrawal", _("withdrawal")

    class Scope(models.TextChoices):
        SINGLE = "single", _("one instruction")
        CUSTOMER = "customer", _("one customer over a period")
        ALL = "all", _("all customers per unit of time")

    class Level(models.TextChoices):
        NOTIFY = "notify", _("notify")
        HOLD = "hold", _("hold for approval")
        HALT = "halt", _("halt")

    code = models.SlugField(
        max_length=60,
        unique=True,
    )
    direction = models.CharField(
        max_length=20,
        choices=Direction.choices,
    )
    scope = models.CharField(
        max_length=20,
        choices=Scope.choices,
    )
    level = models.CharField(
        max_length=10,
        choices=Level.choices,
    )
    asset = models.ForeignKey(
        Asset,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rules",
    )
    limit_units = BaseUnitsField(
        null=True,
        blank=True,
    )
    limit_jpy = FiatField(
        max_digits=30,
        decimal_places=6,
        null=True,
        blank=True,
    )
    window_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
    )
    halt_scope = models.CharField(
        max_length=20,
        blank=True,
        choices=[
            (
                "",
                _(
                    "default (the breaching customer's withdrawals of the asset; "
                    "the asset for all-customers rules)"
                ),
            ),
            ("customer_asset", _("the breaching customer's withdrawals of the asset")),
            ("customer", _("the breaching customer's withdrawals of every asset")),
            ("asset", _("every customer's withdrawals of the asset")),
            ("all_withdrawals", _("all withdrawals (the whole market)")),
            ("market", _("trading in the asset's markets (ISM 27-3)")),
        ],
        help_text=_("What a halt by this rule stops."),
    )
    halt_expiry_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "A halt by this rule ends by itself after this many minutes; empty: only two "
            "people lift it. Never for all-customers rules or halts that stop everyone."
        ),
    )
    active = models.BooleanField(
        default=True,
    )

    class Meta:
        ordering = ("direction", "scope", "code")

    def __str__(self) -> str:
        return self.code


class MonitorRecord(AuditedModel):
    """The monitor's journal in the database: every event decided, every halt lifted and
    every change of thresholds, in decision order. Replaying it rebuilds the monitor."""

    class Kind(models.TextChoices):
        EVENT = "event", _("event")
        LIFT = "lift", _("halt lifted")
        CONFIG = "config", _("thresholds changed")

    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
    )
    event_id = models.CharField(
        max_length=200,
        unique=True,
    )
    row = models.JSONField()
    action = models.CharField(
        max_length=10,
        blank=True,
    )
    reasons = models.JSONField(
        default=list,
    )
    recorded_at = models.DateTimeField()
    #: The term of the leading decider that wrote the record (:class:`DeciderLease`); empty
    #: where a web process decided (a person's check, set-up, a lift).
    decided_by = models.PositiveBigIntegerField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"


class DeciderLease(AuditedModel):
    """Which custody decider leads (ISM 27-2, 27-3: every withdrawal check decided in one
    place, in order): one row per lease, its term counted up at every takeover. The lease
    itself is a lock the database (PostgreSQL) or the kernel (SQLite's data directory) frees
    when its holder dies; this row says who took it last, when, and where it listens."""

    name = models.CharField(
        max_length=40,
        unique=True,
    )
    term = models.PositiveBigIntegerField(
        default=0,
    )
    holder = models.CharField(
        max_length=200,
        help_text=_("host and process id of the decider"),
    )
    address = models.CharField(
        max_length=300,
        blank=True,
    )
    since = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} term {self.term}: {self.holder}"


class Halt(AuditedModel):
    """A halt the monitor started (ISM 27-3): its scope, cause and how it was lifted."""

    audit_values: ClassVar[tuple[str, ...]] = ("lift_request", "lifted_at")  # History: before/after
    halt_id = models.CharField(
        max_length=200,
        unique=True,
    )
    scope = models.CharField(
        max_length=20,
    )
    key = models.CharField(
        max_length=200,
        blank=True,
    )
    rule = models.CharField(
        max_length=60,
    )
    event_id = models.CharField(
        max_length=200,
    )
    asset = models.CharField(
        max_length=20,
        blank=True,
        help_text=_("The asset of a halt of one customer's withdrawals of one asset."),
    )
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the halt ends by itself, if its rule allows it."),
    )
    lifted_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    lift_request = models.OneToOneField(
        "accounts.ApprovalRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="custody_halt",
    )

    class Meta:
        ordering = ("-started_at",)

    def __str__(self) -> str:
        return self.halt_id

    def is_active(self, now: datetime | None = None) -> bool:
        """Return whether the halt still stops what it names (not lifted, not expired)."""
        if self.lifted_at is not None:
            return False
        return self.expires_at is None or self.expires_at > (now or timezone.now())

    def scope_text(self) -> str:
        """Return what the halt stops, in words (ISM 27-3: the halt says what it halts)."""
        return str(scope_text(self.scope, self.key, self.asset))


def scope_text(scope: str, key: str, asset: str = "") -> str:
    """Return what a halt of ``scope`` stops, in the current language."""
    if scope == "customer_asset":
        return _("customer %(customer)s's withdrawals of %(asset)s") % {
            "customer": key,
            "asset": asset,
        }
    if scope == "customer":
        return _("customer %(customer)s's withdrawals of every asset") % {"customer": key}
    if scope == "asset":
        return _("every customer's withdrawals of %(asset)s") % {"asset": key}
    if scope == "all_withdrawals":
        return str(_("all withdrawals of every customer and asset"))
    if scope == "market":
        return _("trading in the markets of %(market)s") % {"market": key}
    return f"{scope} {key}"


def active_halts() -> models.QuerySet[Halt]:
    """Return the halts in force: not lifted and not expired."""
    now = timezone.now()
    return Halt.objects.filter(lifted_at__isnull=True).filter(
        models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
    )


class HeldWithdrawal(AuditedModel):
    """A withdrawal the monitor held: it may proceed only after this approval (ISM 27-3);
    approved, it is released (it proceeds); rejected or expired, it is refused (it leaves
    the windows and the customer is told through the exchange)."""

    class Outcome(models.TextChoices):
        PENDING = "", _("waiting for approval")
        RELEASED = "released", _("released")
        REFUSED = "refused", _("refused")

    event_id = models.CharField(
        max_length=200,
        unique=True,
    )
    approval = models.OneToOneField(
        "accounts.ApprovalRequest",
        on_delete=models.PROTECT,
        related_name="custody_hold",
    )
    customer = models.CharField(
        max_length=200,
        blank=True,
    )
    asset = models.CharField(
        max_length=20,
        blank=True,
    )
    outcome = models.CharField(
        max_length=10,
        blank=True,
        choices=Outcome.choices,
        default=Outcome.PENDING,
    )
    outcome_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    def __str__(self) -> str:
        return self.event_id


class CapPolicy(AuditedModel):
    """How much of an asset may stay online (ISM 27-1-1) and how it is spread (27-1-2)."""

    asset = models.OneToOneField(
        Asset,
        on_delete=models.PROTECT,
        related_name="cap_policy",
    )
    k = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        default=Decimal("1.5"),
        help_text=_("The hot balance may be at most k times the expected outflow."),
    )
    expected_units = BaseUnitsField(
        null=True,
        blank=True,
        help_text=_("Expected outflow per 24 hours in base units; empty: learned from history."),
    )
    percentile = models.PositiveSmallIntegerField(
        default=99,
    )
    max_share = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.6"),
        help_text=_("No wallet may hold more than this share of the asset."),
    )

    def __str__(self) -> str:
        return f"cap {self.asset_id}"


class AllowedAddress(AuditedModel):
    """A withdrawal destination registered for a customer (ISM 27, 29-1-1): usable once
    approved and after its cool-down."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    customer = models.CharField(
        max_length=200,
    )
    asset = models.ForeignKey(
        Asset,
        on_delete=models.PROTECT,
        related_name="allowed_addresses",
    )
    address = models.CharField(
        max_length=200,
    )
    label = models.CharField(
        max_length=100,
        blank=True,
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.PENDING,
    )
    requested_at = models.DateTimeField()
    usable_from = models.DateTimeField(
        null=True,
        blank=True,
    )
    approval = models.OneToOneField(
        "accounts.ApprovalRequest",
        on_delete=models.PROTECT,
        related_name="custody_address",
    )

    class Meta:
        ordering = ("-requested_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("customer", "asset", "address"),
                name="custody_allowed_address_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.asset_id} {self.address}"
