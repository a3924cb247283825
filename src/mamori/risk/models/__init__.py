"""Models of risk management (ISM ch.4: 12–20; ISM 21)."""

from mamori.risk.models.criteria import Assessment, RiskMatrix
from mamori.risk.models.inventory import ExternalIncident, InformationAsset, Threat, Vulnerability
from mamori.risk.models.monitoring import MonitoringLink, Signal
from mamori.risk.models.plans import SecurityPlan, SignOff
from mamori.risk.models.scenarios import (
    LevelChange,
    Rationale,
    RiskScenario,
    Treatment,
    TreatmentAction,
)

__all__ = [
    "Assessment",
    "ExternalIncident",
    "InformationAsset",
    "LevelChange",
    "MonitoringLink",
    "Rationale",
    "RiskMatrix",
    "RiskScenario",
    "SecurityPlan",
    "SignOff",
    "Signal",
    "Threat",
    "Treatment",
    "TreatmentAction",
    "Vulnerability",
]
