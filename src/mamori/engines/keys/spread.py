"""Spread rules as data, evaluated (ISM 28-2-3, 28-2-6, 28-2-7, 28-3-2, 29-1-5).

A :class:`SpreadRule` names the attributes (site, organisation unit, holder, organisation) in
which two placements of a wallet — keys, shares, backups — must differ, for which roles and
schemes. Rules are loaded from plain dicts (YAML or JSON) so an exchange can add its own;
:data:`DEFAULT_RULES` are the ones the articles name. :func:`evaluate` reports per wallet and
rule whether it holds and the exact pairs in conflict; :func:`check_entry` refuses a new or
changed key with the reason; :func:`impact_of_change` says which findings a change (a person
moving department, a site closing, a holder leaving) would bring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

from mamori.engines.keys.findings import Conflict, Finding
from mamori.engines.keys.inventory import Inventory, KeyMaterial, Role, Scheme, Wallet

__all__ = [
    "ATTRIBUTES",
    "DEFAULT_RULES",
    "HolderLeaves",
    "Impact",
    "PersonMoves",
    "Placement",
    "RuleError",
    "SiteCloses",
    "SpreadRule",
    "check_entry",
    "evaluate",
    "impact_of_change",
    "placements",
    "rules_from_data",
]

#: attributes a rule may ask to differ
ATTRIBUTES = ("site", "unit", "holder", "organisation")
_SCOPES = ("key", "wallet")


class RuleError(ValueError):
    """A rule given as data is malformed; the message says which field and why."""


@dataclass(frozen=True)
class Placement:
    """Where one copy of key material is: a key or share itself, or one of its backups.

    ``original`` is the key it copies (its own id for a key); ``group`` is the key that shares
    belong to (``share_of``, or the key's id for a whole key).
    """

    id: str
    wallet: str
    role: Role
    site: str
    unit: str
    holder: str
    organisation: str
    original: str
    group: str

    def value(self, attribute: str) -> str:
        """Return the value of ``attribute`` (one of :data:`ATTRIBUTES`)."""
        return str(getattr(self, attribute))


@dataclass(frozen=True)
class SpreadRule:
    """Two placements of one wallet (``scope`` "wallet") or of one key's shares (``scope``
    "key") must differ in every attribute of ``apart``.

    A pair counts when one side's role is in ``roles`` and the other's in ``against`` (same as
    ``roles`` when empty). ``copies`` False compares distinct keys or shares; True compares a
    key with its own backups. ``schemes`` limits the rule to wallets of those schemes.
    """

    code: str
    apart: tuple[str, ...]
    scope: str = "key"
    roles: frozenset[Role] = frozenset(Role)
    against: frozenset[Role] = frozenset()
    schemes: frozenset[Scheme] = frozenset()
    copies: bool = False
    article: str = ""
    text: str = ""

    def __post_init__(self) -> None:
        if not self.code:
            raise RuleError("spread rule: expected a code, got none")
        unknown = [a for a in self.apart if a not in ATTRIBUTES]
        if not self.apart or unknown:
            raise RuleError(
                f"spread rule {self.code}: expected apart among {', '.join(ATTRIBUTES)}, "
                f"got {list(self.apart)}"
            )
        if self.scope not in _SCOPES:
            raise RuleError(
                f"spread rule {self.code}: expected scope key or wallet, got {self.scope!r}"
            )

    def applies_to(self, wallet: Wallet) -> bool:
        """Return whether the rule concerns ``wallet``'s scheme."""
        return not self.schemes or wallet.scheme.kind in self.schemes

    def pairs(self, a: Placement, b: Placement) -> bool:
        """Return whether placements ``a`` and ``b`` are a pair this rule compares."""
        if self.scope == "key" and a.group != b.group:
            return False
        if (a.original == b.original) != self.copies:
            return False
        other = self.against or self.roles
        return (a.role in self.roles and b.role in other) or (
            b.role in self.roles and a.role in other
        )

    def describe(self) -> str:
        """Say the rule in one sentence."""
        if self.text:
            return self.text
        what = "a key and its backup" if self.copies else f"two placements of one {self.scope}"
        return f"{what} must differ in {', '.join(self.apart)}"


def _roles(value: Any, field_name: str, code: str) -> frozenset[Role]:
    try:
        return frozenset(Role(v) for v in value)
    except ValueError:
        raise RuleError(
            f"spread rule {code}: expected {field_name} among "
            f"{', '.join(r.value for r in Role)}, got {list(value)}"
        ) from None


def rules_from_data(data: Iterable[Mapping[str, Any]]) -> list[SpreadRule]:
    """Build rules from dicts as read from YAML or JSON; raise :class:`RuleError` if malformed.

    Keys: ``code``, ``apart`` (list), ``scope``, ``roles``, ``against``, ``schemes``,
    ``copies``, ``article``, ``text``.
    """
    rules = []
    for entry in data:
        code = str(entry.get("code", ""))
        known = {"code", "apart", "scope", "roles", "against", "schemes", "copies"}
        extra = set(entry) - known - {"article", "text"}
        if extra:
            raise RuleError(f"spread rule {code}: unknown fields {sorted(extra)}")
        try:
            schemes = frozenset(Scheme(s) for s in entry.get("schemes", ()))
        except ValueError:
            raise RuleError(
                f"spread rule {code}: expected schemes among single, multisig, mpc, "
                f"got {entry.get('schemes')}"
            ) from None
        rules.append(
            SpreadRule(
                code=code,
                apart=tuple(entry.get("apart", ())),
                scope=str(entry.get("scope", "key")),
                roles=_roles(entry.get("roles", [r.value for r in Role]), "roles", code),
                against=_roles(entry.get("against", ()), "against", code),
                schemes=schemes,
                copies=bool(entry.get("copies", False)),
                article=str(entry.get("article", "")),
                text=str(entry.get("text", "")),
            )
        )
    return rules


DEFAULT_RULES: tuple[SpreadRule, ...] = tuple(
    rules_from_data(
        [
            {
                "code": "site_apart",
                "apart": ["site"],
                "article": "ISM 28-2-6",
                "text": "no two shares of one key at one site",
            },
            {
                "code": "unit_apart",
                "apart": ["unit"],
                "article": "ISM 28-2-7",
                "text": "no two shares of one key held by one organisation unit",
            },
            {
                "code": "person_apart",
                "apart": ["holder"],
                "article": "ISM 28-2-7",
                "text": "no two shares of one key held by one person",
            },
            {
                "code": "recovery_apart",
                "apart": ["site"],
                "scope": "wallet",
                "roles": ["recovery"],
                "against": ["operating"],
                "article": "ISM 28-2-3",
                "text": "recovery keys at another site than the operating keys",
            },
            {
                "code": "multisig_apart",
                "apart": ["site", "unit", "holder"],
                "scope": "wallet",
                "roles": ["operating", "recovery"],
                "schemes": ["multisig"],
                "article": "ISM 29-1-5",
                "text": "multisig keys kept apart: site, organisation unit and holder",
            },
            {
                "code": "backup_apart",
                "apart": ["site"],
                "copies": True,
                "article": "ISM 28-3-2",
                "text": "a backup at another site than the key it copies",
            },
        ]
    )
)


def placements(inventory: Inventory) -> list[Placement]:
    """Return every key, share and backup of ``inventory`` as a placement."""
    found = []
    for key in inventory.keys:
        group = key.share_of or key.id
        found.append(
            Placement(
                key.id,
                key.wallet,
                key.role,
                key.site,
                key.unit,
                key.holder,
                key.organisation,
                key.id,
                group,
            )
        )
        for backup in key.backups:
            found.append(
                Placement(
                    backup.id,
                    key.wallet,
                    Role.BACKUP,
                    backup.site,
                    backup.unit,
                    backup.holder,
                    key.organisation,
                    key.id,
                    group,
                )
            )
    return found


def _conflicts(rule: SpreadRule, placed: Sequence[Placement]) -> list[Conflict]:
    found: set[Conflict] = set()
    for attribute in rule.apart:
        buckets: dict[str, list[Placement]] = {}
        for placement in placed:
            value = placement.value(attribute)
            if value:  # an unknown value conflicts with nothing
                buckets.setdefault(value, []).append(placement)
        for value, bucket in buckets.items():
            for a, b in combinations(sorted(bucket, key=lambda p: p.id), 2):
                if a.id != b.id and rule.pairs(a, b):
                    found.add(Conflict(a.id, b.id, attribute, value))
    return sorted(found)


def _finding(rule: SpreadRule, wallet: str, conflicts: list[Conflict]) -> Finding:
    article = rule.article
    if not conflicts:
        return Finding(
            f"spread.{rule.code}", wallet, True, article, f"{wallet}: {rule.describe()}: holds"
        )
    said = "; ".join(c.explain() for c in conflicts)
    return Finding(
        f"spread.{rule.code}",
        wallet,
        False,
        article,
        f"{wallet}: {rule.describe()}: violated — {said}",
        expected=f"different {' and '.join(rule.apart)}",
        got=said,
        conflicts=tuple(conflicts),
    )


def evaluate(inventory: Inventory, rules: Iterable[SpreadRule] = DEFAULT_RULES) -> list[Finding]:
    """Return one finding per wallet and applicable rule: holds, or violated with the pairs."""
    by_wallet: dict[str, list[Placement]] = {}
    for placement in placements(inventory):
        by_wallet.setdefault(placement.wallet, []).append(placement)
    rules = tuple(rules)
    findings = []
    for wallet in inventory.wallets:
        placed = by_wallet.get(wallet.id, [])
        for rule in rules:
            if rule.applies_to(wallet):
                findings.append(_finding(rule, wallet.id, _conflicts(rule, placed)))
    return findings


def check_entry(
    inventory: Inventory, key: KeyMaterial, rules: Iterable[SpreadRule] = DEFAULT_RULES
) -> list[Finding]:
    """Return the violations entering ``key`` (new, or replacing the key of its id) would
    cause, each naming only the conflicts that involve it; empty when it may be entered."""
    if inventory.wallet(key.wallet) is None:
        return [
            Finding(
                "spread.unknown_wallet",
                key.id,
                False,
                "ISM 28-2",
                f"{key.id}: the wallet {key.wallet!r} is not in the inventory",
                expected="a registered wallet",
                got=key.wallet,
            )
        ]
    rules = tuple(rules)
    by_code = {f"spread.{r.code}": r for r in rules}
    own = {key.id, *(backup.id for backup in key.backups)}
    refused = []
    for finding in evaluate(inventory.with_key(key), rules):
        if finding.subject != key.wallet or finding.holds:
            continue
        mine = [c for c in finding.conflicts if c.first in own or c.second in own]
        if mine:
            refused.append(_finding(by_code[finding.code], finding.subject, mine))
    return refused


def _placed_again(
    inventory: Inventory, attribute: str, value: str, moves: Callable[[Any], bool]
) -> Inventory:
    """Return ``inventory`` with ``attribute`` set to ``value`` on every key and backup that
    ``moves`` picks (a person's unit, a site's contents)."""

    def moved(held: Any) -> Any:
        return replace(held, **{attribute: value}) if moves(held) else held

    return replace(
        inventory,
        keys=tuple(
            replace(moved(key), backups=tuple(moved(b) for b in key.backups))
            for key in inventory.keys
        ),
    )


@dataclass(frozen=True)
class PersonMoves:
    """A person moves to another organisation unit: every key they hold moves with them."""

    person: str
    unit: str

    def apply(self, inventory: Inventory) -> Inventory:
        """Return the inventory after the move."""
        return _placed_again(inventory, "unit", self.unit, lambda held: held.holder == self.person)


@dataclass(frozen=True)
class SiteCloses:
    """A site closes and what it kept moves to ``moved_to``."""

    site: str
    moved_to: str

    def apply(self, inventory: Inventory) -> Inventory:
        """Return the inventory after the site's contents moved."""
        return _placed_again(inventory, "site", self.moved_to, lambda held: held.site == self.site)


@dataclass(frozen=True)
class HolderLeaves:
    """A holder leaves and hands what they hold to ``successor`` (of ``successor_unit``)."""

    person: str
    successor: str
    successor_unit: str

    def apply(self, inventory: Inventory) -> Inventory:
        """Return the inventory after the hand-over."""
        return PersonMoves(self.successor, self.successor_unit).apply(
            replace(
                inventory,
                keys=tuple(
                    replace(
                        key,
                        holder=self.successor if key.holder == self.person else key.holder,
                        backups=tuple(
                            replace(b, holder=self.successor) if b.holder == self.person else b
                            for b in key.backups
                        ),
                    )
                    for key in inventory.keys
                ),
            )
        )


Change = PersonMoves | SiteCloses | HolderLeaves


@dataclass(frozen=True)
class Impact:
    """What a change does to the spread: findings that appear and that clear."""

    appeared: tuple[Finding, ...]
    cleared: tuple[Finding, ...]


def impact_of_change(
    inventory: Inventory, change: Change, rules: Iterable[SpreadRule] = DEFAULT_RULES
) -> Impact:
    """Return the violations ``change`` would bring (only their new conflicts) and those it
    would clear."""
    rules = tuple(rules)
    before = {(f.code, f.subject): f for f in evaluate(inventory, rules)}
    after = {(f.code, f.subject): f for f in evaluate(change.apply(inventory), rules)}
    by_code = {f"spread.{r.code}": r for r in rules}
    appeared, cleared = [], []
    for key, now in after.items():
        old = before.get(key)
        old_conflicts = set(old.conflicts) if old else set()
        new = [c for c in now.conflicts if c not in old_conflicts]
        if new:
            appeared.append(_finding(by_code[now.code], now.subject, new))
        gone = sorted(old_conflicts - set(now.conflicts))
        if gone and old is not None:
            cleared.append(replace(old, conflicts=tuple(gone)))
    return Impact(tuple(appeared), tuple(cleared))
