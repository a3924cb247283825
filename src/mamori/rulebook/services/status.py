"""Compliance status of every node of both rules, computed in one pass (SRM 4-3, ISM 4-3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from mamori.engines.rulebook.status import (
    COMPLIANT,
    KNOWN_BY,
    NON_COMPLIANT,
    NOT_APPLICABLE,
    PARTIAL,
    ControlState,
    Status,
    combine,
    known_by,
    requirement_status,
)
from mamori.rulebook.models import Control, Framework, Requirement, StatusDecision
from mamori.rulebook.services.controls import document_states, states

__all__ = ["Compliance", "compute", "known_by"]


@dataclass(frozen=True)
class Compliance:
    """Statuses by URN (every node and every framework), and each node's control states."""

    by_urn: dict[str, Status]
    controls: dict[str, list[ControlState]]
    decisions: dict[str, StatusDecision]

    def of(self, urn: str) -> Status:
        """Return the status of ``urn`` (an unknown URN has none: non-compliant)."""
        return self.by_urn.get(urn, Status(NON_COMPLIANT))

    def counts(self, urns: list[str]) -> dict[str, int]:
        """Count the statuses of ``urns`` in a fixed order, leaving out zeros."""
        out = dict.fromkeys((COMPLIANT, PARTIAL, NON_COMPLIANT, NOT_APPLICABLE), 0)
        for urn in urns:
            out[self.of(urn).value] += 1
        return {key: count for key, count in out.items() if count}

    def how_known(self, urns: list[str]) -> dict[str, int]:
        """Count how ``urns`` are met: ``measured``, ``workflow``, ``document_only`` and
        ``none`` always, ``decided`` and ``not_applicable`` when there are any."""
        out = dict.fromkeys(KNOWN_BY, 0)
        for urn in urns:
            out[known_by(self.of(urn))] += 1
        return {
            key: count
            for key, count in out.items()
            if count or key in ("measured", "workflow", "document_only", "none")
        }


def compute(now: datetime | None = None) -> Compliance:
    """Compute the status of every requirement, article, chapter and rule."""
    now = now or timezone.now()
    control_states = states(now)
    per_requirement = document_states(now)
    links: dict[int, list[ControlState]] = {}
    for link in Control.requirements.through.objects.all():
        state = per_requirement.get(
            (link.control_id, link.requirement_id), control_states[link.control_id]
        )
        links.setdefault(link.requirement_id, []).append(state)
    decisions = {
        d.requirement_id: d
        for d in StatusDecision.objects.filter(
            effective_at__isnull=False, withdrawn_at__isnull=True
        ).order_by("effective_at")
    }
    nodes = list(Requirement.objects.filter(removed_in__isnull=True).order_by("framework", "order"))
    children: dict[int | None, list[Requirement]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    by_urn: dict[str, Status] = {}
    per_node_controls: dict[str, list[ControlState]] = {}
    decided: dict[str, StatusDecision] = {}

    def visit(node: Requirement) -> Status | None:
        kids = [s for s in (visit(c) for c in children.get(node.pk, [])) if s is not None]
        own = links.get(node.pk, [])
        per_node_controls[node.urn] = own
        decision = decisions.get(node.pk)
        if decision is not None:
            decided[node.urn] = decision
        if node.is_requirement:
            status = requirement_status(
                own,
                kids,
                Status(decision.status, ((decision.justification, decision.justification),))
                if decision
                else None,
            )
        else:
            rolled = combine(k.value for k in kids)
            if rolled is None:
                return None
            reasons = tuple(dict.fromkeys(r for k in kids for r in k.reasons))
            status = Status(rolled, reasons)
        by_urn[node.urn] = status
        return status

    for framework in Framework.objects.all():
        tops = [n for n in children.get(None, []) if n.framework_id == framework.pk]
        statuses = [s for s in (visit(n) for n in tops) if s is not None]
        rolled = combine(s.value for s in statuses) or NON_COMPLIANT
        by_urn[framework.urn] = Status(rolled)
    return Compliance(by_urn, per_node_controls, decided)
