"""Models of the accounts app."""

from mamori.accounts.models.approvals import ApprovalDecision, ApprovalPolicy, ApprovalRequest
from mamori.accounts.models.mfa import RecoveryCode, TotpDevice
from mamori.accounts.models.org import Department, Role, RoleAssignment, SegregationRule
from mamori.accounts.models.reviews import AccessReview, AccessReviewItem
from mamori.accounts.models.security import LoginAttempt, LoginThrottle
from mamori.accounts.models.setup import Invitation, Organisation
from mamori.accounts.models.tokens import ApiToken
from mamori.accounts.models.users import User

__all__ = [
    "AccessReview",
    "AccessReviewItem",
    "ApiToken",
    "ApprovalDecision",
    "ApprovalPolicy",
    "ApprovalRequest",
    "Department",
    "Invitation",
    "LoginAttempt",
    "LoginThrottle",
    "Organisation",
    "RecoveryCode",
    "Role",
    "RoleAssignment",
    "SegregationRule",
    "TotpDevice",
    "User",
]
