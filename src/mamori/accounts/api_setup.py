"""API of the set-up: the organisation, departments, people and requests for role grants
(SRM 5–7, ISM 7–9, ISM 23-1-1). Writes record the person who acts: a service token is refused.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Schema
from ninja.responses import Status
from pydantic import Field

from mamori.accounts.api import router
from mamori.accounts.models import ApprovalRequest, Department, Role, User
from mamori.accounts.services import people, roles
from mamori.accounts.services.people import DepartmentInput, PersonInput
from mamori.core.api import acting_person, authenticated, refusals

__all__ = ["router"]

WRITE = authenticated("accounts:write", person_required=True)
ASSIGN = authenticated("accounts:assign", person_required=True)
REFUSED = refusals(404, 409, 422)


class OrganisationIn(Schema):
    """The organisation's name."""

    name_ja: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)


class DepartmentIn(Schema):
    """A department; ``parent`` is another department's code."""

    code: str = Field(min_length=1, max_length=50)
    name_ja: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    parent: str = Field(default="", max_length=50)


class DepartmentChange(Schema):
    """New names and parent of a department (its code stays)."""

    name_ja: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    parent: str = Field(default="", max_length=50)


class PersonChange(Schema):
    """A person's details; ``department`` a code, ``manager`` a user name."""

    display_name: str = Field(default="", max_length=150)
    email: str = Field(min_length=3, max_length=254)
    department: str = Field(default="", max_length=50)
    manager: str = Field(default="", max_length=150)
    language: str = Field(default="", max_length=5)


class PersonIn(PersonChange):
    """A person to invite."""

    username: str = Field(min_length=1, max_length=150)


class Invitation(Schema):
    """A person invited: the code is returned this once and never again."""

    username: str
    invitation_code: str
    valid_days: int


class Deactivated(Schema):
    """A person deactivated: how many sessions ended and tokens were revoked."""

    username: str
    sessions: int
    tokens: int


class OrganisationOut(Schema):
    """The organisation's name as saved."""

    name_ja: str
    name_en: str


class DepartmentOut(Schema):
    """A department as saved; ``parent`` another department's code."""

    code: str
    name_ja: str
    name_en: str
    parent: str | None


class PersonOut(Schema):
    """A person as saved; ``department`` a code, ``manager`` a user name."""

    username: str
    display_name: str
    email: str
    department: str | None
    manager: str | None
    is_active: bool


class AssignmentIn(Schema):
    """A request to grant ``role`` to ``user``, company-wide or for ``department``."""

    user: str = Field(min_length=1, max_length=150)
    role: str = Field(min_length=1, max_length=50)
    department: str = Field(default="", max_length=50)


class AssignmentOut(Schema):
    """The grant: done at once (``granted``), or waiting for approval (``approval_requested``)."""

    status: str
    assignment: int | None = None
    approval_request: int | None = None


def _found(model: Any, **lookup: Any) -> Any:
    """Return the record or answer 404 (a NUL in a name is never a record's)."""
    if any("\x00" in str(value) for value in lookup.values()):
        raise Http404
    return get_object_or_404(model, **lookup)


def _department(d: Department) -> dict[str, Any]:
    return {
        "code": d.code,
        "name_ja": d.name_ja,
        "name_en": d.name_en,
        "parent": d.parent.code if d.parent else None,
    }


def _person(u: User) -> dict[str, Any]:
    return {
        "username": u.username,
        "display_name": u.display_name,
        "email": u.email,
        "department": u.department.code if u.department else None,
        "manager": u.manager.username if u.manager else None,
        "is_active": u.is_active,
    }


@router.put("/organisation", response={200: OrganisationOut, **REFUSED}, auth=WRITE)
def set_organisation(request: HttpRequest, body: OrganisationIn) -> dict[str, Any]:
    """Name the organisation (shown at the head of every page)."""
    acting_person(request, "accounts.manage_people")
    found = people.set_organisation(body.name_ja, body.name_en)
    return {"name_ja": found.name_ja, "name_en": found.name_en}


@router.post("/departments", response={201: DepartmentOut, **REFUSED}, auth=WRITE)
def create_department(request: HttpRequest, body: DepartmentIn) -> Status[dict[str, Any]]:
    """Create a department."""
    acting_person(request, "accounts.manage_people")
    made = people.save_department(
        DepartmentInput(body.code, body.name_ja, body.name_en, body.parent)
    )
    return Status(201, _department(made))


@router.put("/departments/{code}", response={200: DepartmentOut, **REFUSED}, auth=WRITE)
def change_department(request: HttpRequest, code: str, body: DepartmentChange) -> dict[str, Any]:
    """Change a department's names or parent."""
    acting_person(request, "accounts.manage_people")
    found = _found(Department, code=code)
    saved = people.save_department(
        DepartmentInput(found.code, body.name_ja, body.name_en, body.parent), found
    )
    return _department(saved)


@router.post("/people", response={201: Invitation, **REFUSED}, auth=WRITE)
def invite(request: HttpRequest, body: PersonIn) -> Status[dict[str, Any]]:
    """Invite a person: the one-time code is in this answer only."""
    who = acting_person(request, "accounts.manage_people")
    invited = people.invite(
        PersonInput(
            body.username,
            body.display_name,
            body.email,
            body.department,
            body.manager,
            body.language,
        ),
        who,
    )
    from mamori.auditlog.services import record_read

    record_read(invited.user, ["invitation_code"], "shown once at invitation")
    return Status(
        201,
        {
            "username": invited.user.username,
            "invitation_code": invited.code,
            "valid_days": people.INVITATION_DAYS,
        },
    )


@router.put("/people/{username}", response={200: PersonOut, **REFUSED}, auth=WRITE)
def change_person(request: HttpRequest, username: str, body: PersonChange) -> dict[str, Any]:
    """Change a person's details."""
    acting_person(request, "accounts.manage_people")
    found = _found(User, username=username)
    saved = people.update_person(
        found,
        PersonInput(
            username, body.display_name, body.email, body.department, body.manager, body.language
        ),
    )
    return _person(saved)


@router.post("/people/{username}/deactivate", response={200: Deactivated, **REFUSED}, auth=WRITE)
def deactivate(request: HttpRequest, username: str) -> dict[str, Any]:
    """Deactivate a person: sessions end, their tokens and invitations are revoked."""
    who = acting_person(request, "accounts.manage_people")
    found = _found(User, username=username)
    counts = people.deactivate(found, who)
    return {"username": found.username, **counts}


@router.post(
    "/assignments", response={201: AssignmentOut, 202: AssignmentOut, **REFUSED}, auth=ASSIGN
)
def request_assignment(request: HttpRequest, body: AssignmentIn) -> Status[dict[str, Any]]:
    """Grant a role, through approval when the role needs one, after segregation of duties."""
    who = acting_person(request, "accounts.assign_roles")
    user = _found(User, username=body.user, is_active=True)
    role = _found(Role, code=body.role)
    department = _found(Department, code=body.department) if body.department else None
    result = roles.assign(user, role, department, who)
    if isinstance(result, ApprovalRequest):
        return Status(202, {"status": "approval_requested", "approval_request": result.pk})
    return Status(201, {"status": "granted", "assignment": getattr(result, "pk", None)})
