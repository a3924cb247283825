"""Roles, permissions and segregation of duties (SRM 8-5, ISM 23-1-1/3, ISM 31-4/5).

Granting a role checks the segregation rules (data, see :class:`SegregationRule`) with the
engine :mod:`mamori.engines.segregation`; a role with a ``grant_policy`` (key holder, CISO …)
is granted only after approval, from the approved snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

import pydantic
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import (
    AccessReview,
    AccessReviewItem,
    ApprovalRequest,
    Department,
    Role,
    RoleAssignment,
    SegregationRule,
    User,
)
from mamori.accounts.services import approvals
from mamori.accounts.services.approvals import ApprovalRefused
from mamori.accounts.services.holdings import roles_of
from mamori.core.errors import Refused
from mamori.core.scopes import SIGNED_IN
from mamori.engines import segregation

__all__ = [
    "DEFAULT_GRANT_POLICY",
    "PLATFORM_PERMISSIONS",
    "RoleRefused",
    "SegregationRefused",
    "appoint_first_officer",
    "approver_roles",
    "assign",
    "conflicts",
    "decide_review_item",
    "explain",
    "forget_remembered",
    "grant_policy",
    "has_company_wide",
    "has_permission",
    "officer_roles",
    "officers_needed",
    "open_access_review",
    "people_with",
    "permissions_of",
    "permissions_remembered",
    "register_kinds",
    "revoke",
    "roles_of",
    "segregation_check",
]

log = logging.getLogger("mamori.accounts.roles")

#: The policy a role that can approve is granted under when it names none of its own.
DEFAULT_GRANT_POLICY = "role_grant"
GRANT_KIND = "accounts.role_grant"
REVOKE_KIND = "accounts.role_revoke"


class RoleRefused(Refused, ValueError):
    """A grant or removal of a role refused as asked (a ``ValueError`` too: pages and the
    command line catch it as such); ``code`` is stable for machines."""


def explain(breach: segregation.Breach) -> str:
    """Say what ``breach`` breaks in the active language, naming the roles and departments
    (the engine's :meth:`~mamori.engines.segregation.Breach.explain` stays English, for logs)."""
    roles = {role.code: role.name for role in Role.objects.all()}
    departments = {d.code: d.name for d in Department.objects.all()}
    holding, other = breach.holding, breach.other
    params = {
        "rule": breach.rule.code,
        "person": holding.person,
        "role": roles.get(holding.role, holding.role),
        "department": departments.get(holding.department or "", holding.department or ""),
    }
    if other is None:
        return (
            _("%(rule)s: %(person)s belongs to %(department)s, so cannot be %(role)s for it")
            % params
        )
    params["other"] = roles.get(other.role, other.role)
    if holding.department:
        return (
            _("%(rule)s: %(person)s cannot be %(role)s in %(department)s while holding %(other)s")
            % params
        )
    return _("%(rule)s: %(person)s cannot be %(role)s while holding %(other)s") % params


class SegregationRefused(Refused):
    """A role grant would break a segregation rule; the message names it."""

    def __init__(self, breaches: list[segregation.Breach]) -> None:
        self.breaches = breaches
        why = "; ".join(explain(b) for b in breaches)
        super().__init__(
            "segregation", _("Refused by segregation of duties: %(why)s") % {"why": why}
        )


def _department_required(role: Role) -> RoleRefused:
    return RoleRefused(
        "department_required",
        _("the role %(role)s is held for a department: name one") % {"role": role.code},
    )


def _self_grant() -> RoleRefused:
    return RoleRefused(
        "self_grant", _("nobody grants a role to themselves: ask another administrator")
    )


def _already_held(user: User, role: Role) -> RoleRefused:
    return RoleRefused(
        "already_held",
        _("%(user)s already holds %(role)s there") % {"user": user.username, "role": role.code},
        status=409,
    )


#: What administering the platform allows without any role: people (departments, invitations,
#: deactivation), role requests, tokens,
#: the platform's jobs and notification channels. Never an approval, never the exchange's
#: records: an administrator who is also an officer holds that role through a two-person grant.
PLATFORM_PERMISSIONS = frozenset(
    {
        "platform.read",
        "accounts.view",
        "accounts.assign_roles",
        "accounts.manage_tokens",
        "accounts.manage_people",
        "scheduler.view",
        "notifications.manage",
    }
)


#: Each person's held (permissions, department) read once, inside :func:`permissions_remembered`.
_REMEMBERED: ContextVar[dict[int, list[tuple[list[str], int | None]]] | None] = ContextVar(
    "mamori_permissions_remembered", default=None
)


@contextmanager
def permissions_remembered() -> Iterator[None]:
    """Read each person's roles once for the block instead of at every check: what drawing
    the menu and the header of a page (some sixty checks) asks, after the view has made its
    changes. Never around code that grants or revokes a role."""
    token = _REMEMBERED.set({})
    try:
        yield
    finally:
        _REMEMBERED.reset(token)


def forget_remembered(**_kwargs: Any) -> None:
    """Forget the roles read inside the current :func:`permissions_remembered` block (a role
    assignment or a role was saved or deleted meanwhile: connected to their signals)."""
    remembered = _REMEMBERED.get()
    if remembered:
        remembered.clear()


def _held(user: User) -> list[tuple[list[str], int | None]]:
    """Return the (permissions, department id) of the roles ``user`` holds now."""
    remembered = _REMEMBERED.get()
    if remembered is not None and user.pk in remembered:
        return remembered[user.pk]
    held: list[tuple[list[str], int | None]] = list(
        RoleAssignment.objects.filter(user=user, revoked_at__isnull=True).values_list(
            "role__permissions", "department_id"
        )
    )
    if remembered is not None:
        remembered[user.pk] = held
    return held


def has_permission(user: object, permission: str, department: Department | None = None) -> bool:
    """Return whether ``user`` may do ``permission`` through a role they hold now.

    With ``department``, a role held for one department counts only for that department
    (a company-wide role counts everywhere). ``signed_in`` is every active person's; an
    administrator holds :data:`PLATFORM_PERMISSIONS` besides their roles.
    """
    if not isinstance(user, User) or not user.is_active:
        return False
    if permission == SIGNED_IN:
        return True
    if user.is_superuser and permission in PLATFORM_PERMISSIONS:
        return True
    return any(
        permission in granted and (department is None or scope is None or scope == department.pk)
        for granted, scope in _held(user)
    )


def has_company_wide(user: object, permission: str) -> bool:
    """Return whether ``user`` holds ``permission`` through a role held company-wide (not for
    one department): what changing something every department shares needs."""
    if not isinstance(user, User) or not user.is_active:
        return False
    return any(
        permission in granted
        for granted in RoleAssignment.objects.filter(
            user=user, revoked_at__isnull=True, department__isnull=True
        ).values_list("role__permissions", flat=True)
    )


def people_with(permission: str) -> QuerySet[User]:
    """Return the active people holding ``permission`` through a role they hold now: whom an
    owner list offers (a board member or an auditor who may only read is not among them)."""
    roles = [role.pk for role in Role.objects.all() if permission in (role.permissions or [])]
    return (
        User.objects.filter(
            is_active=True,
            role_assignments__role__in=roles,
            role_assignments__revoked_at__isnull=True,
        )
        .distinct()
        .order_by("username")
    )


def permissions_of(user: object) -> frozenset[str]:
    """Return every permission ``user`` holds now, anywhere (for tokens and menus)."""
    if not isinstance(user, User) or not user.is_active:
        return frozenset()
    granted: set[str] = {SIGNED_IN}
    if user.is_superuser:
        granted |= PLATFORM_PERMISSIONS
    for permissions in RoleAssignment.objects.filter(
        user=user, revoked_at__isnull=True
    ).values_list("role__permissions", flat=True):
        granted.update(permissions)
    return frozenset(granted)


def approver_roles() -> frozenset[str]:
    """Return the codes of the roles that any approval policy lets approve."""
    from mamori.accounts.models import ApprovalPolicy

    codes: set[str] = set()
    for definition in ApprovalPolicy.objects.values_list("definition", flat=True):
        for stage in definition.get("stages", []):
            codes.update(stage.get("roles", []))
    return frozenset(codes)


def grant_policy(role: Role) -> str:
    """Return the approval policy a grant or removal of ``role`` needs ("" for none): its own,
    or ``role_grant`` for any role that can approve something (two people, never one)."""
    if role.grant_policy:
        return role.grant_policy
    return DEFAULT_GRANT_POLICY if role.code in approver_roles() else ""


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
) -> RoleAssignment | ApprovalRequest:
    """Grant ``role``; returns the assignment, or the approval request if the role needs one.

    A person never grants a role to themselves, and a role that can approve anything is
    granted only through approval (:func:`grant_policy`). ``by`` None is the command line of
    the installation (setting up its first officers), which grants such roles at once.
    """
    if role.per_department and department is None:
        raise _department_required(role)
    if by is not None and by.pk == user.pk:
        raise _self_grant()
    if RoleAssignment.objects.filter(
        user=user, role=role, department=department, revoked_at__isnull=True
    ).exists():
        raise _already_held(user, role)
    segregation_check(user, role, department)
    if role.grant_policy or (by is not None and grant_policy(role)):
        if by is None:
            raise RoleRefused(
                "approver_required",
                _("granting %(role)s needs approval: name who asks") % {"role": role.code},
            )
        return approvals.submit(
            GRANT_KIND,
            f"Grant {role.name_en} to {user.username}",
            {
                "user": user.username,
                "role": role.code,
                "department": department.code if department else None,
            },
            by,
        )
    return _grant(user, role, department, by)


def officers_needed() -> int:
    """Return how many more officers the installation may still appoint from the command line.

    The officers are the roles of the ``role_grant`` policy's stages; a fresh installation has
    none, so nobody could approve the first grant. Until as many distinct people as a grant
    needs have *ever* held those roles — counting revoked roles and deactivated people — the
    installation appoints them (:func:`appoint_first_officer`). Once it has had its officers,
    never again: deactivating them does not reopen the bootstrap.
    """
    from mamori.accounts.models import ApprovalPolicy

    policy = ApprovalPolicy.objects.filter(code=DEFAULT_GRANT_POLICY).first()
    if policy is None:
        return 0
    needed = 0
    for stage in policy.definition.get("stages", []):
        ever = (
            RoleAssignment.objects.filter(role__code__in=stage.get("roles", []))
            .values("user")
            .distinct()
            .count()
        )
        needed = max(needed, int(stage.get("required", 1)) - ever)
    return needed


def officer_roles() -> frozenset[str]:
    """Return the roles whose holders approve role grants (the ``role_grant`` policy's)."""
    from mamori.accounts.models import ApprovalPolicy

    policy = ApprovalPolicy.objects.filter(code=DEFAULT_GRANT_POLICY).first()
    if policy is None:
        return frozenset()
    return frozenset(
        code for stage in policy.definition.get("stages", []) for code in stage.get("roles", [])
    )


def appoint_first_officer(
    user: User, role: Role, department: Department | None, by: User
) -> RoleAssignment:
    """Grant an officer role at once while too few officers exist to approve any grant.

    SRM 5-1, ISM 31-4: on an empty installation the administrator appoints the first officers
    from the command line (recorded as theirs); once enough people hold officer roles, every
    further grant goes through the two-person approval and this is refused.
    """
    if role.code not in officer_roles():
        raise RoleRefused(
            "not_officer_role",
            _("%(role)s is not an officer role: only %(roles)s can be appointed this way")
            % {"role": role.code, "roles": ", ".join(sorted(officer_roles()))},
        )
    if officers_needed() <= 0:
        raise RoleRefused(
            "officers_present",
            _(
                "the installation already has had its officers (appointed once, even if they "
                "have left since): ask for the role on the role assignments page; two "
                "officers approve it"
            ),
            status=409,
        )
    if by.pk == user.pk:
        raise _self_grant()
    if user.is_superuser:
        raise RoleRefused(
            "administrator_not_officer",
            _(
                "an administrator administers the platform and is not appointed an officer: "
                "appoint another person"
            ),
        )
    if role.per_department and department is None:
        raise _department_required(role)
    if RoleAssignment.objects.filter(
        user=user, role=role, department=department, revoked_at__isnull=True
    ).exists():
        raise _already_held(user, role)
    segregation_check(user, role, department)
    log.info("first officer %s appointed %s by %s", user, role.code, by)
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


def apply_role_grant(request: ApprovalRequest) -> None:
    """Grant the role named in an approved snapshot (the snapshot, not the live request)."""
    snapshot = request.snapshot
    user = User.objects.get(username=snapshot["user"])
    role = Role.objects.get(code=snapshot["role"])
    department = (
        Department.objects.get(code=snapshot["department"]) if snapshot["department"] else None
    )
    if not user.is_active:
        raise ApprovalRefused("stale", f"{user.username} has been deactivated since the request")
    if RoleAssignment.objects.filter(
        user=user, role=role, department=department, revoked_at__isnull=True
    ).exists():
        raise ApprovalRefused("stale", f"{user.username} already holds {role.code} there")
    segregation_check(user, role, department)  # rules may have changed while it waited
    _grant(user, role, department, request.requester)


def revoke(assignment: RoleAssignment, by: User | None) -> ApprovalRequest | None:
    """End a role assignment (kept in the history); a guarded role needs approval first.

    Returns the approval request when the role has a grant policy (ISM 31-4: granting,
    changing and removing key-holder rights all go through the approval procedure).
    """
    if grant_policy(assignment.role):
        if by is None:
            raise RoleRefused(
                "approver_required",
                _("removing %(role)s needs approval: name who asks")
                % {"role": assignment.role.code},
            )
        return approvals.submit(
            REVOKE_KIND,
            f"Remove {assignment.role.name_en} from {assignment.user.username}",
            {
                "assignment": assignment.pk,
                "user": assignment.user.username,
                "role": assignment.role.code,
                "department": assignment.department.code if assignment.department else None,
            },
            by,
        )
    _end(assignment, by)
    return None


def _end(assignment: RoleAssignment, by: User | None) -> None:
    RoleAssignment.objects.filter(pk=assignment.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    forget_remembered()  # an update sends no save signal
    log.info("role %s of %s revoked by %s", assignment.role.code, assignment.user, by)


def apply_role_revoke(request: ApprovalRequest) -> None:
    """End the assignment named in an approved snapshot."""
    snapshot = request.snapshot
    assignment = RoleAssignment.objects.select_related("user", "role").get(
        pk=snapshot["assignment"]
    )
    _end(assignment, request.requester)


class GrantSnapshot(pydantic.BaseModel):
    """What a grant of a role approves: who, which role, for which department."""

    model_config = pydantic.ConfigDict(extra="forbid")

    user: str = pydantic.Field(min_length=1, max_length=150)
    role: str = pydantic.Field(min_length=1, max_length=50)
    department: str | None = pydantic.Field(max_length=50)


class RevokeSnapshot(GrantSnapshot):
    """What a removal of a role approves: the assignment ended."""

    assignment: int


def _validate_grant(snapshot: dict[str, Any]) -> None:
    user = User.objects.filter(username=snapshot["user"], is_active=True).first()
    role = Role.objects.filter(code=snapshot["role"]).first()
    if user is None or role is None:
        raise ApprovalRefused("bad_snapshot", _("no such active person or role"))
    department = None
    if snapshot["department"] is not None:
        department = Department.objects.filter(code=snapshot["department"]).first()
        if department is None:
            raise ApprovalRefused(
                "bad_snapshot",
                _("no department %(department)r") % {"department": snapshot["department"]},
            )
    elif role.per_department:
        raise ApprovalRefused(
            "bad_snapshot",
            _("the role %(role)s is held for a department: name one") % {"role": role.code},
        )


def _validate_revoke(snapshot: dict[str, Any]) -> None:
    if not RoleAssignment.objects.filter(
        pk=snapshot["assignment"],
        user__username=snapshot["user"],
        role__code=snapshot["role"],
        revoked_at__isnull=True,
    ).exists():
        raise ApprovalRefused("bad_snapshot", _("no such current role assignment"))


def _snapshot_policy(snapshot: dict[str, Any]) -> str:
    role = Role.objects.get(code=snapshot["role"])
    return grant_policy(role) or DEFAULT_GRANT_POLICY


def _snapshot_person(snapshot: dict[str, Any]) -> str | None:
    return str(snapshot.get("user") or "") or None


def register_kinds() -> None:
    """Declare the two kinds of request that change who holds a guarded role."""
    for code, apply, validate, schema in (
        (GRANT_KIND, apply_role_grant, _validate_grant, GrantSnapshot),
        (REVOKE_KIND, apply_role_revoke, _validate_revoke, RevokeSnapshot),
    ):
        approvals.register_kind(
            code,
            policy=_snapshot_policy,
            apply=apply,
            validate=validate,
            schema=schema,
            subject=_snapshot_person,
        )


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
    """The person's manager — unless that is an administrator, who administers people and so
    may not also confirm their access — else a department manager, else an officer."""
    manager = person.manager
    if manager is not None and manager.is_active and not manager.is_superuser:
        return manager
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


def decide_review_item(item: AccessReviewItem, outcome: str, comment: str) -> AccessReview:
    """Record the reviewer's outcome for ``item``; the review is closed (completed) when no
    item is left pending (ISM 23-1-1, 31-3: access rights reviewed periodically)."""
    with transaction.atomic():
        item.outcome = outcome
        item.comment = comment
        item.decided_at = timezone.now()
        item.save(update_fields=["outcome", "comment", "decided_at"])
        review = AccessReview.objects.select_for_update().get(pk=item.review_id)
        if review.closed_at is None and not review.items.filter(outcome="pending").exists():
            review.closed_at = timezone.now()
            review.save(update_fields=["closed_at"])
    return review


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
