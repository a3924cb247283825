"""Models of the rulebook app."""

from mamori.rulebook.models.controls import (
    Control,
    ControlReview,
    ControlRun,
    Evidence,
    StatusDecision,
)
from mamori.rulebook.models.history import ComplianceSnapshot
from mamori.rulebook.models.library import (
    Framework,
    FrameworkVersion,
    Guidance,
    LibraryChange,
    Mapping,
    Requirement,
)
from mamori.rulebook.models.policies import PolicyDocument, PolicyVersion

__all__ = [
    "ComplianceSnapshot",
    "Control",
    "ControlReview",
    "ControlRun",
    "Evidence",
    "Framework",
    "FrameworkVersion",
    "Guidance",
    "LibraryChange",
    "Mapping",
    "PolicyDocument",
    "PolicyVersion",
    "Requirement",
    "StatusDecision",
]
