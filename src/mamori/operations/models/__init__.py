"""Models of operations (SRM ch.4; ISM 3, 7, 8-1-3, 9-3, 30)."""

from mamori.operations.models.alerts import AlertSource
from mamori.operations.models.change_control import (
    ChangeParticipant,
    ChangeSetting,
    PostChangeReview,
    StageApproval,
    StagePlan,
    StageRule,
)
from mamori.operations.models.changes import AcceptanceInspection, Change, ChangeFinding
from mamori.operations.models.cmdb import ConfigurationItem, Relation
from mamori.operations.models.cmdb_import import ImportRun
from mamori.operations.models.cmdb_register import CmdbReview, CmdbSetting
from mamori.operations.models.csirt import (
    CsirtMember,
    ExternalContact,
    OnCallRotation,
    ThreatIntel,
)
from mamori.operations.models.devplans import DevelopmentPlan, DevPlanProject, DevPlanVersion
from mamori.operations.models.evidence import Build, DeploymentEvent, Evidence, PipelineSource
from mamori.operations.models.gate import (
    Deployment,
    FreezeWindow,
    GateDecision,
    GateOverride,
    QualityCriterion,
    QualityPlan,
    SecureCodingAttestation,
    SecureCodingStandard,
    SecurityReview,
)
from mamori.operations.models.incidents import (
    Incident,
    IncidentLink,
    IncidentRole,
    SeverityRule,
    TimelineEntry,
)
from mamori.operations.models.maintenance import Maintenance, MaintenanceNoticeRule
from mamori.operations.models.monitoring import MonitoredService, ServiceState
from mamori.operations.models.monitoring_intake import (
    Alert,
    AlertRule,
    Heartbeat,
    Probe,
    ProbeResult,
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
from mamori.operations.models.status import DailyConfirmation, MissedConfirmation, StatusSetting
from mamori.operations.models.systems import System

__all__ = [
    "AcceptanceInspection",
    "Alert",
    "AlertRule",
    "AlertSource",
    "Build",
    "Change",
    "ChangeFinding",
    "ChangeParticipant",
    "ChangeSetting",
    "CmdbReview",
    "CmdbSetting",
    "ConfigurationItem",
    "ContingencyPlan",
    "CsirtMember",
    "DailyConfirmation",
    "Deployment",
    "DeploymentEvent",
    "DevPlanProject",
    "DevPlanVersion",
    "DevelopmentPlan",
    "DrillCommand",
    "Evidence",
    "ExternalContact",
    "FollowUpAction",
    "FreezeWindow",
    "GateDecision",
    "GateOverride",
    "Heartbeat",
    "ImportRun",
    "Incident",
    "IncidentLink",
    "IncidentRole",
    "Maintenance",
    "MaintenanceNoticeRule",
    "MissedConfirmation",
    "MonitoredService",
    "Obligation",
    "ObligationRule",
    "OnCallRotation",
    "PipelineSource",
    "PlanDrill",
    "PlanVersion",
    "PostChangeReview",
    "PostIncidentReview",
    "Probe",
    "ProbeResult",
    "QualityCriterion",
    "QualityPlan",
    "Recipient",
    "Relation",
    "ReviewRisk",
    "ReviewSetting",
    "SecureCodingAttestation",
    "SecureCodingStandard",
    "SecurityReview",
    "ServiceState",
    "SeverityRule",
    "Stage",
    "StageApproval",
    "StagePlan",
    "StageRule",
    "StatusSetting",
    "System",
    "ThreatIntel",
    "TimelineEntry",
]
