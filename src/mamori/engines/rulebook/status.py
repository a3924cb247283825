"""Compliance status of requirements from their controls' results (SRM 4-3, ISM 4-3, 12-3).

Each control contributes a :class:`ControlState`: *ok*, or not ok with the reason (never ran,
last run failed, run too old, no evidence, evidence expired). A requirement with an approved
manual decision takes that status. Otherwise its own controls and its sub-requirements (the
items of a paragraph) decide: all ok → compliant, none → non-compliant, some → partially;
a requirement with neither controls nor sub-requirements is non-compliant ("no control").
Not-applicable sub-requirements are left out; if all are, the parent is not applicable too.
Parents that are not requirements themselves (articles, chapters, rules) roll up the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "COMPLIANT",
    "NON_COMPLIANT",
    "NOT_APPLICABLE",
    "PARTIAL",
    "ControlState",
    "Status",
    "combine",
    "requirement_status",
]

COMPLIANT = "compliant"
PARTIAL = "partial"
NON_COMPLIANT = "non_compliant"
NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class ControlState:
    """Whether one control currently holds, and if not, why (in both languages)."""

    code: str
    ok: bool
    reason_ja: str = ""
    reason_en: str = ""


@dataclass(frozen=True)
class Status:
    """A status with the reasons behind it (each reason ``(ja, en)``)."""

    value: str
    reasons: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    overridden: bool = False


def combine(statuses: Iterable[str]) -> str | None:
    """Roll several statuses into one; ``None`` when there is nothing to roll up."""
    every = list(statuses)
    values = [s for s in every if s != NOT_APPLICABLE]
    if not values:
        return NOT_APPLICABLE if every else None
    if all(v == COMPLIANT for v in values):
        return COMPLIANT
    if all(v == NON_COMPLIANT for v in values):
        return NON_COMPLIANT
    return PARTIAL


def requirement_status(
    controls: Sequence[ControlState],
    children: Sequence[Status],
    decision: Status | None = None,
) -> Status:
    """Return the status of one requirement (see the module docstring)."""
    if decision is not None:
        return Status(decision.value, decision.reasons, overridden=True)
    reasons = [(s.reason_ja, s.reason_en) for s in controls if not s.ok]
    for child in children:
        if child.value in (NON_COMPLIANT, PARTIAL):
            reasons.extend(child.reasons)
    parts = [COMPLIANT if s.ok else NON_COMPLIANT for s in controls]
    parts.extend(child.value for child in children)
    if not parts:
        return Status(NON_COMPLIANT, (("統制が割り当てられていない", "no control is assigned"),))
    rolled = combine(parts)
    assert rolled is not None
    return Status(rolled, tuple(dict.fromkeys(reasons)))
