"""Severity of an incident from rules kept as data, and who commands it.

An incident's facts (customers affected, assets at risk in yen, minutes of outage, personal-data
records affected) are compared with each rule; the most severe rule that matches decides, and
with none matching the incident is the least severe level. SRM 6-1-3 puts the command of system
trouble with the system general manager; ISM 8-1-3 puts security incidents with the CISO.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["FACTS", "SEVERITIES", "Facts", "SeverityRule", "commander_role", "grade"]

#: Levels from most to least severe.
SEVERITIES: tuple[str, ...] = ("S1", "S2", "S3", "S4")

#: The facts a rule may test, each a non-negative number.
FACTS: tuple[str, ...] = (
    "customers_affected",
    "assets_at_risk_jpy",
    "outage_minutes",
    "records_affected",
)

_SECURITY_KINDS = frozenset({"cyber_attack", "information_leak", "crypto_asset_leak"})


@dataclass(frozen=True)
class Facts:
    """What is known of an incident's impact; unknown counts as zero."""

    customers_affected: int = 0
    assets_at_risk_jpy: Decimal = Decimal(0)
    outage_minutes: int = 0
    records_affected: int = 0

    def value(self, fact: str) -> Decimal:
        """Return the named fact as a Decimal; raise ``KeyError`` for a fact no rule may test."""
        if fact not in FACTS:
            raise KeyError(f"expected one of {', '.join(FACTS)}, got {fact!r}")
        return Decimal(getattr(self, fact))


@dataclass(frozen=True)
class SeverityRule:
    """``severity`` when ``fact`` is at least ``at_least`` (and, if given, the kind matches)."""

    severity: str
    fact: str
    at_least: Decimal
    kind: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"expected a severity in {SEVERITIES}, got {self.severity!r}")
        if self.fact not in FACTS:
            raise ValueError(f"expected a fact in {FACTS}, got {self.fact!r}")
        if self.at_least < 0:
            raise ValueError(f"expected a threshold of at least 0, got {self.at_least}")

    def matches(self, kind: str, facts: Facts) -> bool:
        """Say whether this rule applies to an incident of ``kind`` with ``facts``."""
        if self.kind and self.kind != kind:
            return False
        return facts.value(self.fact) >= self.at_least


def grade(kind: str, facts: Facts, rules: list[SeverityRule]) -> tuple[str, SeverityRule | None]:
    """Return the most severe level a rule gives, and that rule (``S4`` and ``None`` if none)."""
    best: SeverityRule | None = None
    for rule in rules:
        if rule.matches(kind, facts) and (
            best is None or SEVERITIES.index(rule.severity) < SEVERITIES.index(best.severity)
        ):
            best = rule
    return (best.severity if best else SEVERITIES[-1]), best


def commander_role(kind: str) -> str:
    """Return the role that commands an incident of ``kind``: the CISO for attacks and leaks
    (ISM 8-1-3), the system general manager for the rest (SRM 6-1-3)."""
    return "ciso" if kind in _SECURITY_KINDS else "system_general_manager"
