"""Models of operations (SRM ch.4; ISM 3, 7, 8-1-3, 9-3, 30)."""

from mamori.operations.models.alerts import AlertSource
from mamori.operations.models.csirt import (
    CsirtMember,
    ExternalContact,
    OnCallRotation,
    ThreatIntel,
)
from mamori.operations.models.incidents import (
    Incident,
    IncidentLink,
    IncidentRole,
    SeverityRule,
    TimelineEntry,
)
from mamori.operations.models.obligations import (
    Obligation,
    ObligationRule,
    Recipient,
    Stage,
)
from mamori.operations.models.plans import (
    ContingencyPlan,
    DrillCommand,
    PlanDrill,
    PlanVersion,
)
from mamori.operations.models.reviews import (
    FollowUpAction,
    PostIncidentReview,
    ReviewRisk,
    ReviewSetting,
)

__all__ = [
    "AlertSource",
    "ContingencyPlan",
    "CsirtMember",
    "DrillCommand",
    "ExternalContact",
    "FollowUpAction",
    "Incident",
    "IncidentLink",
    "IncidentRole",
    "Obligation",
    "ObligationRule",
    "OnCallRotation",
    "PlanDrill",
    "PlanVersion",
    "PostIncidentReview",
    "Recipient",
    "ReviewRisk",
    "ReviewSetting",
    "SeverityRule",
    "Stage",
    "ThreatIntel",
    "TimelineEntry",
]
