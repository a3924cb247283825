"""Evaluate approval policies; pure functions over frozen values (no I/O, no Django)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "Decision",
    "Outcome",
    "Policy",
    "PolicyError",
    "Refusal",
    "Stage",
    "Status",
    "Verdict",
    "evaluate",
    "refusal_for",
    "stage_for",
]


class PolicyError(ValueError):
    """A policy that cannot be satisfied or is malformed."""


class Verdict(enum.StrEnum):
    """What one person decided."""

    APPROVE = "approve"
    REJECT = "reject"


class Status(enum.StrEnum):
    """Where a request stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Stage:
    """One step of a policy: ``required`` distinct approvers holding any of ``roles``."""

    name: str
    roles: frozenset[str]
    required: int

    def __post_init__(self) -> None:
        if self.required < 1:
            raise PolicyError(f"stage {self.name!r} needs at least 1 approver, got {self.required}")
        if not self.roles:
            raise PolicyError(f"stage {self.name!r} names no role that may approve")


@dataclass(frozen=True)
class Policy:
    """Stages, whether they run in order, and how long a request stays open."""

    code: str
    stages: tuple[Stage, ...]
    ordered: bool
    lifetime: timedelta

    def __post_init__(self) -> None:
        if not self.stages:
            raise PolicyError(f"policy {self.code!r} has no stage: it could never approve")
        if self.lifetime <= timedelta(0):
            raise PolicyError(f"policy {self.code!r} must stay open for a positive time")
        names = [stage.name for stage in self.stages]
        if len(set(names)) != len(names):
            raise PolicyError(f"policy {self.code!r} repeats a stage name")

    @property
    def approvals_needed(self) -> int:
        """Return the number of distinct approvers the policy needs in all."""
        return sum(stage.required for stage in self.stages)

    def to_data(self) -> dict[str, Any]:
        """Return a JSON-ready form (kept with each request so later edits do not change it)."""
        return {
            "code": self.code,
            "ordered": self.ordered,
            "lifetime_seconds": int(self.lifetime.total_seconds()),
            "stages": [
                {"name": s.name, "roles": sorted(s.roles), "required": s.required}
                for s in self.stages
            ],
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Policy:
        """Rebuild a policy from :meth:`to_data`; malformed data raises :class:`PolicyError`."""
        try:
            stages = tuple(
                Stage(str(s["name"]), frozenset(str(r) for r in s["roles"]), int(s["required"]))
                for s in data["stages"]
            )
            return cls(
                code=str(data["code"]),
                stages=stages,
                ordered=bool(data["ordered"]),
                lifetime=timedelta(seconds=int(data["lifetime_seconds"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, PolicyError):
                raise
            raise PolicyError(f"malformed policy data: {exc}") from None


@dataclass(frozen=True)
class Decision:
    """One person's decision with the roles they held when they made it.

    In an ordered policy ``stage`` is the stage an approval counted towards when it was made;
    in an unordered policy it is None and approvals are matched to stages when evaluated.
    """

    approver: str
    verdict: Verdict
    at: datetime
    roles: frozenset[str]
    stage: int | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a decision is not accepted; ``code`` is stable for machines, ``message`` English
    (for logs and the API); ``roles``, ``stage`` and ``status`` are what a reader's language
    says it with."""

    code: str
    message: str
    roles: tuple[str, ...] = ()
    stage: str = ""
    status: str = ""


@dataclass(frozen=True)
class Outcome:
    """The state of a request after its decisions."""

    status: Status
    approvals_per_stage: tuple[int, ...]
    open_stage: int | None


def _match(policy: Policy, approvers: Sequence[frozenset[str]]) -> list[int]:
    """Return approvals per stage under a maximum matching of approvers to stage seats.

    Kuhn's augmenting paths over seats (stage ``i`` has ``required`` seats); each approver
    takes at most one seat and only in a stage whose roles they hold.
    """
    seats = [i for i, stage in enumerate(policy.stages) for _ in range(stage.required)]
    holder: list[int | None] = [None] * len(seats)

    def place(person: int, seen: set[int]) -> bool:
        for seat, stage in enumerate(seats):
            if seat in seen or not approvers[person] & policy.stages[stage].roles:
                continue
            seen.add(seat)
            current = holder[seat]
            if current is None or place(current, seen):
                holder[seat] = person
                return True
        return False

    for person in range(len(approvers)):
        place(person, set())
    counts = [0] * len(policy.stages)
    for seat, occupant in enumerate(holder):
        if occupant is not None:
            counts[seats[seat]] += 1
    return counts


def _counts(policy: Policy, decisions: Sequence[Decision]) -> list[int]:
    approvals = [d for d in decisions if d.verdict is Verdict.APPROVE]
    if not policy.ordered:
        return _match(policy, [d.roles for d in approvals])
    counts = [0] * len(policy.stages)
    for decision in approvals:
        if decision.stage is not None:
            counts[decision.stage] += 1
    return counts


def _incomplete(policy: Policy, counts: Sequence[int]) -> list[int]:
    return [i for i, stage in enumerate(policy.stages) if counts[i] < stage.required]


def evaluate(
    policy: Policy, decisions: Sequence[Decision], created_at: datetime, now: datetime
) -> Outcome:
    """Return the status of a request with ``decisions``, seen at ``now``."""
    counts = _counts(policy, decisions)
    incomplete = _incomplete(policy, counts)
    if any(d.verdict is Verdict.REJECT for d in decisions):
        status = Status.REJECTED
    elif not incomplete:
        status = Status.APPROVED
    elif now >= created_at + policy.lifetime:
        status = Status.EXPIRED
    else:
        status = Status.PENDING
    open_stage = incomplete[0] if incomplete and status is Status.PENDING else None
    return Outcome(status, tuple(counts), open_stage)


def stage_for(policy: Policy, decisions: Sequence[Decision], roles: frozenset[str]) -> int | None:
    """Return the stage an approval by someone holding ``roles`` fills, or None if none.

    Unordered policies answer with the first stage whose count the approval raises.
    """
    counts = _counts(policy, decisions)
    incomplete = _incomplete(policy, counts)
    if not incomplete:
        return None
    if policy.ordered:
        first = incomplete[0]
        return first if roles & policy.stages[first].roles else None
    probe = Decision("", Verdict.APPROVE, datetime.min, roles)
    after = _counts(policy, [*decisions, probe])
    for index, (old, new) in enumerate(zip(counts, after, strict=True)):
        if new > old:
            return index
    return None


def refusal_for(
    policy: Policy,
    requester: str,
    decisions: Sequence[Decision],
    approver: str,
    roles: frozenset[str],
    verdict: Verdict,
    created_at: datetime,
    now: datetime,
) -> Refusal | None:
    """Return why ``approver`` may not decide ``verdict`` now, or None if they may."""
    outcome = evaluate(policy, decisions, created_at, now)
    if outcome.status is not Status.PENDING:
        return Refusal(
            "closed",
            f"the request is {outcome.status.value}; it takes no decision",
            status=outcome.status.value,
        )
    if approver == requester:
        return Refusal("self_approval", "the requester cannot decide their own request")
    if any(d.approver == approver for d in decisions):
        return Refusal("already_decided", "this person has already decided this request")
    all_roles = frozenset().union(*(stage.roles for stage in policy.stages))
    if verdict is Verdict.REJECT:
        if roles & all_roles:
            return None
        return Refusal(
            "role_missing",
            f"rejecting needs one of the roles {', '.join(sorted(all_roles))}",
            roles=tuple(sorted(all_roles)),
        )
    if stage_for(policy, decisions, roles) is not None:
        return None
    open_stage = policy.stages[outcome.open_stage or 0]
    if policy.ordered and roles & all_roles and not roles & open_stage.roles:
        return Refusal(
            "out_of_order",
            f"stage {open_stage.name!r} must be completed first; it needs one of the roles "
            f"{', '.join(sorted(open_stage.roles))}",
            roles=tuple(sorted(open_stage.roles)),
            stage=open_stage.name,
        )
    needed = sorted(
        frozenset().union(
            *(
                policy.stages[i].roles
                for i in _incomplete(policy, list(outcome.approvals_per_stage))
            )
        )
    )
    return Refusal(
        "role_missing",
        f"approving now needs one of the roles {', '.join(needed)}",
        roles=tuple(needed),
    )
