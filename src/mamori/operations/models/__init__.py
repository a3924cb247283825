"""Models of operations (SRM ch.4; ISM 3, 7, 8-1-3, 9-3, 30)."""

from mamori.operations.models.alerts import AlertSource
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

__all__ = [
    "AlertSource",
    "Incident",
    "IncidentLink",
    "IncidentRole",
    "Obligation",
    "ObligationRule",
    "Recipient",
    "SeverityRule",
    "Stage",
    "TimelineEntry",
]
