"""Segregation of duties as data (SRM 8-5, ISM 23-1-3): which role holdings may not combine.

Rules are values; :func:`violations` checks a proposed holding against a person's current
holdings and :func:`conflicts` lists every breach among existing holdings (e.g. after a rule is
added). No I/O and no Django.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Breach", "Holding", "Kind", "Rule", "conflicts", "violations"]


class Kind(enum.StrEnum):
    """What a rule forbids."""

    EXCLUSIVE_ROLES = "exclusive_roles"
    """One person may not hold role A and role B (in the same department when scoped)."""

    INDEPENDENT_OF_DEPARTMENT = "independent_of_department"
    """Role A for department D may not go to someone who belongs to D or holds a role in D."""


@dataclass(frozen=True)
class Rule:
    """One segregation rule; ``same_department`` scopes an exclusive pair to one department."""

    code: str
    kind: Kind
    role_a: str
    role_b: str | None = None
    same_department: bool = True
    article: str = ""


@dataclass(frozen=True)
class Holding:
    """A person holding a role, company-wide (``department`` None) or for one department."""

    person: str
    role: str
    department: str | None
    home_department: str | None = None


@dataclass(frozen=True)
class Breach:
    """A rule broken by ``holding`` together with ``other`` (None: by membership)."""

    rule: Rule
    holding: Holding
    other: Holding | None

    def explain(self) -> str:
        """Say in one sentence what is broken."""
        where = f" in {self.holding.department}" if self.holding.department else ""
        if self.other is None:
            return (
                f"{self.rule.code}: {self.holding.person} belongs to {self.holding.department}, "
                f"so cannot be {self.holding.role} for it"
            )
        other_where = f" in {self.other.department}" if self.other.department else ""
        return (
            f"{self.rule.code}: {self.holding.person} cannot be {self.holding.role}{where} "
            f"while holding {self.other.role}{other_where}"
        )


def _overlap(a: Holding, b: Holding) -> bool:
    return a.department is None or b.department is None or a.department == b.department


def _breaks(rule: Rule, new: Holding, other: Holding | None) -> bool:
    if rule.kind is Kind.EXCLUSIVE_ROLES:
        if other is None or other.person != new.person:
            return False
        pair = {new.role, other.role}
        if pair != {rule.role_a, rule.role_b} or rule.role_a == rule.role_b:
            return False
        return not rule.same_department or _overlap(new, other)
    # independent of department: role_a for D vs membership of D or any role held in D
    if new.role != rule.role_a or new.department is None:
        return False
    if other is None:
        return new.home_department == new.department
    return (
        other.person == new.person
        and other.role != rule.role_a
        and other.department == new.department
    )


def violations(rules: Iterable[Rule], new: Holding, current: Sequence[Holding]) -> list[Breach]:
    """Return the rules ``new`` would break beside the person's ``current`` holdings."""
    found = []
    for rule in rules:
        if rule.kind is Kind.INDEPENDENT_OF_DEPARTMENT and _breaks(rule, new, None):
            found.append(Breach(rule, new, None))
            continue
        for other in current:
            if other == new:
                continue
            if _breaks(rule, new, other) or _breaks(rule, other, new):
                found.append(Breach(rule, new, other))
                break
    return found


def conflicts(rules: Sequence[Rule], holdings: Sequence[Holding]) -> list[Breach]:
    """Return every breach among existing ``holdings``, each pair reported once."""
    found: list[Breach] = []
    seen: set[tuple[str, frozenset[Holding]]] = set()
    by_person: dict[str, list[Holding]] = {}
    for holding in holdings:
        by_person.setdefault(holding.person, []).append(holding)
    for person_holdings in by_person.values():
        for holding in person_holdings:
            for breach in violations(rules, holding, person_holdings):
                key = (breach.rule.code, frozenset({holding, breach.other or holding}))
                if key not in seen:
                    seen.add(key)
                    found.append(breach)
    return found
