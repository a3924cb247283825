"""API of the accounts app: who am I, departments, people and their roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from mamori.accounts.models import ApiToken, Department, RoleAssignment, User
from mamori.core.api import Pagination, authenticated, refusals

__all__ = ["router"]

router = Router(tags=["accounts"])


class Me(Schema):
    """The caller: a staff member or a machine token."""

    kind: str
    name: str
    scopes: list[str]
    expires_at: datetime | None


class DepartmentOut(Schema):
    """A department."""

    code: str
    name_ja: str
    name_en: str
    parent: str | None

    @staticmethod
    def resolve_parent(obj: Department) -> str | None:
        """Name the parent department by its code."""
        return obj.parent.code if obj.parent else None


class RoleHeld(Schema):
    """A role a person holds."""

    role: str
    department: str | None
    granted_at: datetime

    @staticmethod
    def resolve_role(obj: RoleAssignment) -> str:
        """Name the role by its code."""
        return obj.role.code

    @staticmethod
    def resolve_department(obj: RoleAssignment) -> str | None:
        """Name the department by its code (None: company-wide)."""
        return obj.department.code if obj.department else None


class UserOut(Schema):
    """A member of staff (no credentials)."""

    username: str
    display_name: str
    department: str | None
    is_active: bool
    roles: list[RoleHeld]

    @staticmethod
    def resolve_department(obj: User) -> str | None:
        """Name the department by its code."""
        return obj.department.code if obj.department else None

    @staticmethod
    def resolve_roles(obj: User) -> list[RoleAssignment]:
        """List the roles held now."""
        return list(obj.active_roles)  # type: ignore[attr-defined]


@router.get("/me", response=Me, auth=authenticated(None))
def me(request: HttpRequest) -> dict[str, Any]:
    """Describe the caller."""
    auth = request.auth  # type: ignore[attr-defined]
    if isinstance(auth, ApiToken):
        return {
            "kind": "token",
            "name": auth.name,
            "scopes": list(auth.scopes),
            "expires_at": auth.expires_at,
        }
    return {"kind": "user", "name": auth.username, "scopes": [], "expires_at": None}


@router.get(
    "/departments",
    response={200: list[DepartmentOut], **refusals(422)},
    auth=authenticated("accounts:read"),
)
@paginate(Pagination)
def departments(request: HttpRequest) -> QuerySet[Department]:
    """List departments."""
    return Department.objects.select_related("parent").order_by("code")


@router.get(
    "/users", response={200: list[UserOut], **refusals(422)}, auth=authenticated("accounts:read")
)
@paginate(Pagination)
def users(request: HttpRequest) -> QuerySet[User]:
    """List staff with the roles they hold now."""
    active = RoleAssignment.objects.filter(revoked_at__isnull=True).select_related(
        "role", "department"
    )
    queryset = (
        User.objects.select_related("department")
        .prefetch_related(Prefetch("role_assignments", queryset=active, to_attr="active_roles"))
        .order_by("username")
    )
    return queryset


# The set-up's writes (departments, people, role grants) share these paths: same router.
from mamori.accounts import api_setup as _api_setup  # noqa: E402, F401
