"""Roles, permissions and segregation of duties (SRM 8-5, ISM 23-1-1/3, ISM 31-4/5).

Granting a role checks the segregation rules (data, see :class:`SegregationRule`) with the
engine :mod:`mamori.engines.segregation`; a role with a ``grant_policy`` (key holder, CISO …)
is granted only after approval, from the approved snapshot.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mamori.accounts.models import (
    AccessReview,
    AccessReviewItem,
    Department,
    Role,
    RoleAssignment,
    SegregationRule,
    User,
)
from mamori.engines import segregation

__all__ = [
    "SegregationRefused",
    "assign",
    "conflicts",
    "has_permission",
    "open_access_review",
    "revoke",
    "roles_of",
    "segregation_check",
]

log = logging.getLogger("mamori.accounts.roles")


class SegregationRefused(Exception):
    """A role grant would break a segregation rule; the message names it."""

    def __init__(self, breaches: list[segregation.Breach]) -> None:
        self.breaches = breaches
        super().__init__("; ".join(b.explain() for b in breaches))


def roles_of(user: User) -> frozenset[str]:
    """Return the codes of the roles ``user`` holds now."""
    if not user.is_active:
        return frozenset()
    return frozenset(
        RoleAssignment.objects.filter(user=user, revoked_at__isnull=True).values_list(
            "role__code", flat=True
        )
    )


def has_permission(user: object, permission: str) -> bool:
    """Return whether ``user`` may do ``permission`` through a role (or is an administrator)."""
    if not isinstance(user, User) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    permissions = RoleAssignment.objects.filter(user=user, revoked_at__isnull=True).values_list(
        "role__permissions", flat=True
    )
    return any(permission in granted for granted in permissions)


def _rules() -> list[segregation.Rule]:
    return [
        segregation.Rule(
            code=rule.code,
            kind=segregation.Kind(rule.kind),
            role_a=rule.role_a.code,
            role_b=rule.role_b.code if rule.role_b else None,
            same_department=rule.same_department,
            article=rule.article,
        )
        for rule in SegregationRule.objects.filter(active=True).select_related("role_a", "role_b")
    ]


def _holding(assignment: RoleAssignment) -> segregation.Holding:
    return segregation.Holding(
        person=assignment.user.username,
        role=assignment.role.code,
        department=assignment.department.code if assignment.department else None,
        home_department=assignment.user.department.code if assignment.user.department else None,
    )


def segregation_check(user: User, role: Role, department: Department | None) -> None:
    """Raise :class:`SegregationRefused` if ``user`` may not hold ``role`` there."""
    current = [
        _holding(a)
        for a in RoleAssignment.objects.filter(user=user, revoked_at__isnull=True).select_related(
            "user__department", "role", "department"
        )
    ]
    new = segregation.Holding(
        user.username,
        role.code,
        department.code if department else None,
        user.department.code if user.department else None,
    )
    breaches = segregation.violations(_rules(), new, current)
    if breaches:
        raise SegregationRefused(breaches)


def assign(
    user: User, role: Role, department: Department | None, by: User | None
) -> RoleAssignment | object:
    """Grant ``role``; returns the assignment, or the approval request if the role needs one."""
    if role.per_department and department is None:
        raise ValueError(f"the role {role.code} is held for a department: name one")
    if RoleAssignment.objects.filter(
        user=user, role=role, department=department, revoked_at__isnull=True
    ).exists():
        raise ValueError(f"{user.username} already holds {role.code} there")
    segregation_check(user, role, department)
    if role.grant_policy:
        from mamori.accounts.services import approvals

        if by is None:
            raise ValueError(f"granting {role.code} needs approval: name who asks")
        return approvals.submit(
            "accounts.role_grant",
            f"Grant {role.name_en} to {user.username}",
            {
                "user": user.username,
                "role": role.code,
                "department": department.code if department else None,
            },
            role.grant_policy,
            by,
        )
    return _grant(user, role, department, by)


def _grant(
    user: User, role: Role, department: Department | None, by: User | None
) -> RoleAssignment:
    with transaction.atomic():
        assignment = RoleAssignment.objects.create(
            user=user, role=role, department=department, granted_by=by
        )
    log.info("role %s granted to %s (%s) by %s", role.code, user, department, by)
    return assignment


def apply_role_grant(request: object) -> None:
    """Grant the role named in an approved snapshot (the snapshot, not the live request)."""
    snapshot = request.snapshot  # type: ignore[attr-defined]
    user = User.objects.get(username=snapshot["user"])
    role = Role.objects.get(code=snapshot["role"])
    department = (
        Department.objects.get(code=snapshot["department"]) if snapshot["department"] else None
    )
    segregation_check(user, role, department)  # rules may have changed while it waited
    _grant(user, role, department, request.requester)  # type: ignore[attr-defined]


def revoke(assignment: RoleAssignment, by: User | None) -> object | None:
    """End a role assignment (kept in the history); a guarded role needs approval first.

    Returns the approval request when the role has a grant policy (ISM 31-4: granting,
    changing and removing key-holder rights all go through the approval procedure).
    """
    if assignment.role.grant_policy:
        from mamori.accounts.services import approvals

        if by is None:
            raise ValueError(f"removing {assignment.role.code} needs approval: name who asks")
        return approvals.submit(
            "accounts.role_revoke",
            f"Remove {assignment.role.name_en} from {assignment.user.username}",
            {
                "assignment": assignment.pk,
                "user": assignment.user.username,
                "role": assignment.role.code,
                "department": assignment.department.code if assignment.department else None,
            },
            assignment.role.grant_policy,
            by,
        )
    _end(assignment, by)
    return None


def _end(assignment: RoleAssignment, by: User | None) -> None:
    RoleAssignment.objects.filter(pk=assignment.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    log.info("role %s of %s revoked by %s", assignment.role.code, assignment.user, by)


def apply_role_revoke(request: object) -> None:
    """End the assignment named in an approved snapshot."""
    snapshot = request.snapshot  # type: ignore[attr-defined]
    assignment = RoleAssignment.objects.select_related("user", "role").get(
        pk=snapshot["assignment"]
    )
    _end(assignment, request.requester)  # type: ignore[attr-defined]


def conflicts() -> list[segregation.Breach]:
    """Return every breach of the active rules among current assignments."""
    holdings = [
        _holding(a)
        for a in RoleAssignment.objects.filter(revoked_at__isnull=True).select_related(
            "user__department", "role", "department"
        )
    ]
    return segregation.conflicts(_rules(), holdings)


def _reviewer(person: User) -> User | None:
    if person.manager_id:
        return person.manager
    managers = RoleAssignment.objects.filter(
        revoked_at__isnull=True,
        role__code__in=["dept_system_manager", "dept_information_manager"],
        department=person.department,
    ).exclude(user=person)
    found = managers.select_related("user").first()
    if found:
        return found.user
    top = (
        RoleAssignment.objects.filter(
            Q(role__code="system_general_manager") | Q(role__code="ciso"), revoked_at__isnull=True
        )
        .exclude(user=person)
        .select_related("user")
        .first()
    )
    return top.user if top else None


def open_access_review(days: int = 14) -> AccessReview:
    """Open a review listing every active person's roles for their manager to confirm."""
    with transaction.atomic():
        review = AccessReview.objects.create(due_at=timezone.now() + timedelta(days=days))
        for person in User.objects.filter(is_active=True).select_related("department", "manager"):
            held = [
                {"role": a.role.code, "department": a.department.code if a.department else None}
                for a in RoleAssignment.objects.filter(
                    user=person, revoked_at__isnull=True
                ).select_related("role", "department")
            ]
            AccessReviewItem.objects.create(
                review=review, person=person, reviewer=_reviewer(person), roles=held
            )
    return review
