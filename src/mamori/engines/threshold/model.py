"""Values of the threshold monitor: assets, rules, events, decisions (ISM 27-2, 27-3).

Amounts are integers in an asset's base unit (satoshi, wei); JPY values are ``Decimal``.
A rule is *reached* when the observed amount is greater than or equal to its limit (規則 27-3
「基準値に達した場合」): exactly at the limit counts, one base unit below does not. A window of
length W seen from an event at time t holds the counted events with time in (t − W, t]: an
event exactly W earlier has left it.

Lateness is bounded per stream — an asset's withdrawals, its deposits, its prices, its
balances — so a busy asset cannot make a quiet one's events late; a deposit is accepted by its
chain time up to ``deposit_delay`` behind its stream (confirmations take time) and counted in
the windows where that time puts it. A held withdrawal ends released or refused
(:class:`HoldReleased`, :class:`HoldRefused`); a refused one leaves every window. A halt stops
what its rule's ``halt_scope`` names (by default the breaching customer's withdrawals of that
asset for single and per-customer rules, the asset's for all-customers rules) and, where the
rule allows it, expires by itself (never for an all-customers rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from mamori.engines.threshold.reason import Reason

__all__ = [
    "Action",
    "Asset",
    "Balance",
    "Config",
    "ConfigError",
    "Deposit",
    "Direction",
    "Event",
    "Halt",
    "HaltOrder",
    "HaltScope",
    "HoldRefused",
    "HoldReleased",
    "Level",
    "Price",
    "Reason",
    "Rule",
    "Scope",
    "WithdrawalCancelled",
    "WithdrawalRequest",
    "WithdrawalSent",
]


class Direction(StrEnum):
    """Money coming in or going out."""

    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"


class Scope(StrEnum):
    """What a rule adds up (ISM 27-2 items 1–3)."""

    SINGLE = "single"  # (1) the amount of one instruction
    CUSTOMER = "customer"  # (2) one customer's total within a period
    ALL = "all"  # (3) all customers' total per unit of time


class Level(StrEnum):
    """What reaching a rule leads to, mildest first."""

    NOTIFY = "notify"
    HOLD = "hold"
    HALT = "halt"


LEVEL_ORDER = {Level.NOTIFY: 1, Level.HOLD: 2, Level.HALT: 3}


class Action(StrEnum):
    """The decision for one event."""

    ALLOW = "allow"
    HOLD = "hold"  # proceeds only after the platform's N-of-M approval
    REJECT = "reject"
    HALT = "halt"  # refused, and a halt starts


class HaltScope(StrEnum):
    """What a halt stops."""

    ALL_WITHDRAWALS = "all_withdrawals"  # every withdrawal of every customer and asset
    ASSET = "asset"  # every customer's withdrawals of the asset
    CUSTOMER = "customer"  # the customer's withdrawals of every asset
    CUSTOMER_ASSET = "customer_asset"  # the customer's withdrawals of the asset
    MARKET = "market"  # trading in the asset's markets (told to the order gateway)


#: Halt scopes that stop everyone: a halt of these never expires by itself.
EVERYONE = frozenset({HaltScope.ALL_WITHDRAWALS, HaltScope.ASSET, HaltScope.MARKET})


class ConfigError(ValueError):
    """A configuration is inconsistent; the message says which rule and why."""


@dataclass(frozen=True)
class Asset:
    """An asset and how many decimals its base unit has (BTC 8, ETH 18)."""

    code: str
    decimals: int


@dataclass(frozen=True)
class Rule:
    """One threshold: direction, scope, level, asset (None: all assets, in JPY) and limit.

    Exactly one of ``limit_units`` (base units of ``asset``) and ``limit_jpy`` is set; a
    rule over all assets must be in JPY. ``window`` is required for customer and all scopes.
    """

    code: str
    direction: Direction
    scope: Scope
    level: Level
    asset: str | None = None
    limit_units: int | None = None
    limit_jpy: Decimal | None = None
    window: timedelta | None = None
    halt_scope: HaltScope | None = None
    halt_expiry: timedelta | None = None  # a halt by this rule ends by itself after it

    @property
    def in_jpy(self) -> bool:
        """Return whether the rule counts JPY values rather than base units."""
        return self.limit_jpy is not None

    @property
    def limit(self) -> int | Decimal:
        """Return the limit in the rule's unit."""
        if self.limit_jpy is not None:
            return self.limit_jpy
        assert self.limit_units is not None
        return self.limit_units

    def effective_halt_scope(self) -> HaltScope:
        """Return what a halt by this rule stops (default: the breaching customer's withdrawals
        of the rule's asset for per-customer and single-instruction rules — of every asset for
        a rule over all assets —, the asset (or all withdrawals) for all-customer rules)."""
        if self.halt_scope is not None:
            return self.halt_scope
        if self.scope is Scope.ALL:
            return HaltScope.ASSET if self.asset else HaltScope.ALL_WITHDRAWALS
        return HaltScope.CUSTOMER_ASSET if self.asset else HaltScope.CUSTOMER


@dataclass(frozen=True)
class Config:
    """Assets, rules and the time bounds the monitor enforces."""

    assets: tuple[Asset, ...]
    rules: tuple[Rule, ...]
    max_lateness: timedelta = timedelta(minutes=5)
    max_future: timedelta = timedelta(minutes=1)
    retention: timedelta = timedelta(days=31)
    deposit_delay: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        _check(self)

    def asset(self, code: str) -> Asset | None:
        """Return the asset ``code`` or None."""
        for asset in self.assets:
            if asset.code == code:
                return asset
        return None


def _check(config: Config) -> None:
    codes = [a.code for a in config.assets]
    if len(set(codes)) != len(codes):
        raise ConfigError("an asset is listed twice")
    seen: set[str] = set()
    for rule in config.rules:
        where = f"rule {rule.code}"
        if rule.code in seen:
            raise ConfigError(f"{where}: the code is used twice")
        seen.add(rule.code)
        if (rule.limit_units is None) == (rule.limit_jpy is None):
            raise ConfigError(f"{where}: set exactly one of limit_units and limit_jpy")
        if rule.asset is None and rule.limit_jpy is None:
            raise ConfigError(f"{where}: a rule over all assets must be in JPY")
        if rule.asset is not None and rule.asset not in codes:
            raise ConfigError(f"{where}: unknown asset {rule.asset}")
        if rule.limit <= 0:
            raise ConfigError(f"{where}: the limit must be positive")
        if rule.limit_jpy is not None and rule.limit_jpy.scaleb(6) % 1 != 0:
            raise ConfigError(f"{where}: a JPY limit has at most 6 decimals")
        if rule.scope is Scope.SINGLE and rule.window is not None:
            raise ConfigError(f"{where}: a single-instruction rule has no window")
        if rule.scope is not Scope.SINGLE:
            if rule.window is None or rule.window <= timedelta(0):
                raise ConfigError(f"{where}: a {rule.scope} rule needs a positive window")
            if rule.window > config.retention:
                raise ConfigError(
                    f"{where}: the window {rule.window} is longer than the retention "
                    f"{config.retention}"
                )
        _check_halt(rule, where)
    if not timedelta(0) <= config.deposit_delay <= config.retention:
        raise ConfigError(
            f"the deposit confirmation delay {config.deposit_delay} must be between 0 and "
            f"the retention {config.retention}"
        )
    _check_levels(config)


def _check_halt(rule: Rule, where: str) -> None:
    """Refuse a halt scope or expiry the rule cannot have."""
    scope = rule.effective_halt_scope()
    if rule.scope is Scope.ALL and scope in (HaltScope.CUSTOMER, HaltScope.CUSTOMER_ASSET):
        raise ConfigError(
            f"{where}: an all-customers rule halts the asset, all withdrawals or the market, "
            "not one customer"
        )
    if scope is HaltScope.CUSTOMER_ASSET and rule.asset is None:
        raise ConfigError(f"{where}: a halt of the customer's withdrawals of one asset needs it")
    if rule.halt_expiry is not None:
        if rule.halt_expiry <= timedelta(0):
            raise ConfigError(f"{where}: a halt's expiry must be positive")
        if rule.scope is Scope.ALL or scope in EVERYONE:
            raise ConfigError(
                f"{where}: a halt that stops everyone ({scope}) never ends by itself; "
                "two people lift it"
            )


def _check_levels(config: Config) -> None:
    """Refuse a stricter level whose limit is below a milder level's on the same measure."""
    groups: dict[tuple[object, ...], list[Rule]] = {}
    for rule in config.rules:
        key = (rule.direction, rule.scope, rule.asset, rule.in_jpy, rule.window)
        groups.setdefault(key, []).append(rule)
    for rules in groups.values():
        for milder in rules:
            for stricter in rules:
                if (
                    LEVEL_ORDER[stricter.level] > LEVEL_ORDER[milder.level]
                    and stricter.limit < milder.limit
                ):
                    raise ConfigError(
                        f"rule {stricter.code} ({stricter.level}) has a limit "
                        f"{stricter.limit} below rule {milder.code} ({milder.level}) "
                        f"{milder.limit}: a {stricter.level} level must not come before "
                        f"{milder.level}"
                    )


@dataclass(frozen=True, slots=True)
class Deposit:
    """Crypto-assets credited to a customer."""

    id: str
    at: datetime
    customer: str
    asset: str
    amount: int


@dataclass(frozen=True, slots=True)
class WithdrawalRequest:
    """A customer's instruction to send crypto-assets out."""

    id: str
    at: datetime
    customer: str
    asset: str
    amount: int
    address: str = ""


@dataclass(frozen=True, slots=True)
class WithdrawalCancelled:
    """A requested withdrawal that will not be sent: its amount leaves the windows."""

    id: str
    at: datetime
    withdrawal: str


@dataclass(frozen=True, slots=True)
class WithdrawalSent:
    """A requested withdrawal was broadcast, from ``wallet`` if the exchange says which
    (recorded; the windows already hold it; the wallet's outflow is charted)."""

    id: str
    at: datetime
    withdrawal: str
    wallet: str = ""


@dataclass(frozen=True, slots=True)
class HoldReleased:
    """A held withdrawal was approved: it proceeds (it stays counted)."""

    id: str
    at: datetime
    withdrawal: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class HoldRefused:
    """A held withdrawal was refused: it will not be sent and leaves every window."""

    id: str
    at: datetime
    withdrawal: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Price:
    """The JPY price of one whole unit of an asset from this time on."""

    id: str
    at: datetime
    asset: str
    jpy: Decimal


@dataclass(frozen=True, slots=True)
class Balance:
    """A wallet's balance observed on chain (for the hot-wallet cap)."""

    id: str
    at: datetime
    wallet: str
    asset: str
    amount: int


@dataclass(frozen=True, slots=True)
class HaltOrder:
    """A halt ordered from outside the thresholds — e.g. reconciliation found coins missing
    (ISM 34-2) — with its scope, key, who ordered it (``source``) and why."""

    id: str
    at: datetime
    scope: HaltScope
    key: str
    source: str
    reason: str


Event = (
    Deposit
    | WithdrawalRequest
    | WithdrawalCancelled
    | WithdrawalSent
    | HoldReleased
    | HoldRefused
    | Price
    | Balance
    | HaltOrder
)


@dataclass(frozen=True)
class Halt:
    """A halt: what it stops, why, the event that caused it and, if its rule allows it, when
    it ends by itself (``until``, exclusive; event time)."""

    id: str
    scope: HaltScope
    key: str  # the asset, customer or market; "" for all withdrawals
    rule: str
    event: str
    at: datetime
    asset: str = ""  # the asset of a customer × asset halt
    until: datetime | None = None

    def matches(self, event: WithdrawalRequest) -> bool:
        """Return whether this halt refuses ``event`` (its customer, its asset, its time)."""
        if self.until is not None and event.at >= self.until:
            return False
        if self.scope is HaltScope.ALL_WITHDRAWALS:
            return True
        if self.scope is HaltScope.ASSET:
            return event.asset == self.key
        if self.scope is HaltScope.CUSTOMER:
            return event.customer == self.key
        if self.scope is HaltScope.CUSTOMER_ASSET:
            return event.customer == self.key and event.asset == self.asset
        return False

    def same(self, scope: HaltScope, key: str, asset: str) -> bool:
        """Return whether this halt stops what a halt of ``scope``, ``key``, ``asset`` would."""
        return self.scope is scope and self.key == key and self.asset == asset
