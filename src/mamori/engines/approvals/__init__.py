"""N-of-M approvals by distinct people holding given roles (SRM 4-6, ISM 19-2, ISM 31-4/5).

A policy is a sequence of stages; each stage needs ``required`` distinct approvers holding one
of its roles. In an ordered policy a stage opens only when the one before it is complete
(committee before board). The requester never decides their own request, a person decides
once whatever roles they hold, one rejection rejects, and a rejected, expired or approved
request takes no further decision.
"""

from mamori.engines.approvals.policy import (
    Decision,
    Outcome,
    Policy,
    PolicyError,
    Refusal,
    Stage,
    Status,
    Verdict,
    evaluate,
    refusal_for,
    stage_for,
)

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
