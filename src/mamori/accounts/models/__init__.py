"""Models of the accounts app."""

from mamori.accounts.models.mfa import RecoveryCode, TotpDevice
from mamori.accounts.models.org import Department, Role, RoleAssignment
from mamori.accounts.models.security import LoginAttempt, LoginThrottle
from mamori.accounts.models.tokens import ApiToken
from mamori.accounts.models.users import User

__all__ = [
    "ApiToken",
    "Department",
    "LoginAttempt",
    "LoginThrottle",
    "RecoveryCode",
    "Role",
    "RoleAssignment",
    "TotpDevice",
    "User",
]
