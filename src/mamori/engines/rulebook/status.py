"""Compliance status of requirements from their controls' results (SRM 4-3, ISM 4-3, 12-3).

Each control contributes a :class:`ControlState`: *ok*, or not ok with the reason (never ran,
last run failed, run too old, no evidence, evidence expired). A requirement with an approved
manual decision takes that status. Otherwise its own controls and its sub-requirements (the
items of a paragraph) decide: all ok → compliant, none → non-compliant, some → partially;
a requirement with neither controls nor sub-requirements is non-compliant ("no control").
Not-applicable sub-requirements are left out; if all are, the parent is not applicable too.
Parents that are not requirements themselves (articles, chapters, rules) roll up the same way.

Each control has a kind saying how it knows: *measured* (an automated check of the exchange's
own systems or data), *workflow* (a register or approval the requirement demands), *document*
(evidence a person reviewed) or *self* (a check of mamori itself). A *self* control is shown
beside a requirement as mamori's own health but never counts: a requirement whose only
controls are *self* has no control. A compliant requirement says how it is known (its
``basis``): the stronger of the strongest kind among its own controls and the weakest basis
of its items (a paragraph whose items are met partly by documents is not "measured").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "BASES",
    "COMPLIANT",
    "COUNTED_KINDS",
    "DECIDED",
    "DOCUMENT",
    "KNOWN_BY",
    "MEASURED",
    "NON_COMPLIANT",
    "NOT_APPLICABLE",
    "PARTIAL",
    "SELF",
    "WORKFLOW",
    "ControlState",
    "Status",
    "combine",
    "known_by",
    "requirement_status",
]

COMPLIANT = "compliant"
PARTIAL = "partial"
NON_COMPLIANT = "non_compliant"
NOT_APPLICABLE = "not_applicable"

MEASURED = "measured"
WORKFLOW = "workflow"
DOCUMENT = "document"
SELF = "self"
#: The kinds that count toward a requirement, strongest first.
COUNTED_KINDS = (MEASURED, WORKFLOW, DOCUMENT)
#: A compliant requirement met by an approved manual decision rather than by its controls.
DECIDED = "decided"
#: How a compliant requirement can be known, strongest first.
BASES = (MEASURED, WORKFLOW, DOCUMENT, DECIDED)


@dataclass(frozen=True)
class ControlState:
    """Whether one control currently holds, and if not, why (in both languages)."""

    code: str
    ok: bool
    reason_ja: str = ""
    reason_en: str = ""
    kind: str = MEASURED

    @property
    def counted(self) -> bool:
        """Return whether this control counts toward a requirement (a *self* one does not)."""
        return self.kind != SELF


@dataclass(frozen=True)
class Status:
    """A status with the reasons behind it (each reason ``(ja, en)``)."""

    value: str
    reasons: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    overridden: bool = False
    #: the counted kinds of control behind this status (its own and its items')
    kinds: tuple[str, ...] = ()
    #: how a compliant requirement is known (one of :data:`BASES`), else ``None``
    basis: str | None = None

    @property
    def only_documents(self) -> bool:
        """Return whether documents are the only kind of control behind this status."""
        return self.kinds == (DOCUMENT,)


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
    counted = [s for s in controls if s.counted]
    present = {s.kind for s in counted} | {k for child in children for k in child.kinds}
    kinds = tuple(k for k in COUNTED_KINDS if k in present)
    if decision is not None:
        return Status(
            decision.value,
            decision.reasons,
            overridden=True,
            kinds=kinds,
            basis=DECIDED if decision.value == COMPLIANT else None,
        )
    reasons = [(s.reason_ja, s.reason_en) for s in counted if not s.ok]
    for child in children:
        if child.value in (NON_COMPLIANT, PARTIAL):
            reasons.extend(child.reasons)
    parts = [COMPLIANT if s.ok else NON_COMPLIANT for s in counted]
    parts.extend(child.value for child in children)
    if not parts:
        return Status(NON_COMPLIANT, (("統制が割り当てられていない", "no control is assigned"),))
    rolled = combine(parts)
    assert rolled is not None
    basis = _basis(counted, children) if rolled == COMPLIANT else None
    return Status(rolled, tuple(dict.fromkeys(reasons)), kinds=kinds, basis=basis)


def _basis(controls: Sequence[ControlState], children: Sequence[Status]) -> str | None:
    """Return how a compliant requirement is known (see the module docstring)."""
    candidates = [BASES.index(s.kind) for s in controls if s.kind in BASES]
    own = min(candidates) if candidates else None
    items = [BASES.index(c.basis) for c in children if c.basis in BASES]
    weakest = max(items) if items else None
    found = [i for i in (own, weakest) if i is not None]
    return BASES[min(found)] if found else None


#: The buckets of :func:`known_by`, in the order reports show them.
KNOWN_BY = ("measured", "workflow", "document_only", "decided", "none", "not_applicable")


def known_by(status: Status) -> str:
    """Return how a requirement's status is known, one of :data:`KNOWN_BY`.

    A compliant requirement is met by measurement, by workflow, by reviewed documents only or
    by an approved decision; a partial or non-compliant one is not met (``none``).
    """
    if status.value == NOT_APPLICABLE:
        return "not_applicable"
    if status.value != COMPLIANT or status.basis is None:
        return "none"
    return "document_only" if status.basis == DOCUMENT else status.basis
