"""API of the systems register (SRM 7-2, 12), mounted at ``/api``.

``GET /api/systems`` (scope ``systems:read``; filters ``criticality``, ``lifecycle``) gives the
register; ``POST /api/systems`` (scope ``systems:write``) adds a system or, for a code already
registered, updates it (201 added, 200 updated).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.text import slugify
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from mamori.accounts.models import Department, User
from mamori.core.api import Pagination, acting_person, authenticated, refusals
from mamori.operations.models import System
from mamori.operations.services.changes import ChangeRefused

__all__ = ["router"]

router = Router(tags=["operations"])


class SystemOut(Schema):
    """A system of the register: code, names, owner department, manager, criticality."""

    code: str
    name_ja: str
    name_en: str
    description: str
    department: str
    system_manager: str | None
    criticality: str
    lifecycle: str


class SystemIn(Schema):
    """A system to add or update, by code; the department by code, the manager by username."""

    code: str = Field(max_length=50)
    name_ja: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    description: str = Field("", max_length=5000)
    department: str = Field(max_length=50)
    system_manager: str | None = Field(None, max_length=150)
    criticality: str = System.Criticality.MEDIUM
    lifecycle: str = System.Lifecycle.LIVE


def _out(system: System) -> dict[str, Any]:
    return {
        "code": system.code,
        "name_ja": system.name_ja,
        "name_en": system.name_en,
        "description": system.description,
        "department": system.department.code,
        "system_manager": system.system_manager.get_username() if system.system_manager else None,
        "criticality": system.criticality,
        "lifecycle": system.lifecycle,
    }


def _bad(name: str, message: str) -> ChangeRefused:
    return ChangeRefused("bad_system", message, fields=[(name, message)])


@router.get(
    "/systems",
    response={200: list[SystemOut], **refusals(422)},
    auth=authenticated("systems:read"),
)
@paginate(Pagination)
def list_systems(
    request: HttpRequest, criticality: str | None = None, lifecycle: str | None = None
) -> Any:
    """The systems register, by code."""
    rows = System.objects.select_related("department", "system_manager")
    for name, value, values in (
        ("criticality", criticality, System.Criticality.values),
        ("lifecycle", lifecycle, System.Lifecycle.values),
    ):
        if value is None:
            continue
        if value not in values:
            raise _bad(
                name,
                _("Expected %(name)s in %(values)s, got %(value)s.")
                % {"name": name, "values": ", ".join(values), "value": value},
            )
        rows = rows.filter(**{name: value})
    return [_out(s) for s in rows]


@router.post(
    "/systems",
    response={200: SystemOut, 201: SystemOut, **refusals(422)},
    auth=authenticated("systems:write", person_required=True),
)
def save_system(request: HttpRequest, payload: SystemIn) -> Status[dict[str, Any]]:
    """Add a system to the register, or update the one with that code."""
    acting_person(request, "systems.manage")
    department = Department.objects.filter(code=payload.department).first()
    if department is None:
        raise _bad("department", _("No department %(code)s.") % {"code": payload.department})
    manager = None
    if payload.system_manager:
        manager = User.objects.filter(username=payload.system_manager, is_active=True).first()
        if manager is None:
            raise _bad(
                "system_manager",
                _("No active user %(name)s.") % {"name": payload.system_manager},
            )
    if payload.criticality not in System.Criticality.values:
        raise _bad("criticality", _("Unknown value."))
    if payload.lifecycle not in System.Lifecycle.values:
        raise _bad("lifecycle", _("Unknown value."))
    if not payload.code or slugify(payload.code) != payload.code:
        raise _bad("code", _("A code is lowercase letters, digits and hyphens."))
    system, created = System.objects.update_or_create(
        code=payload.code,
        defaults={
            "name_ja": payload.name_ja,
            "name_en": payload.name_en,
            "description": payload.description,
            "department": department,
            "system_manager": manager,
            "criticality": payload.criticality,
            "lifecycle": payload.lifecycle,
        },
    )
    return Status(201 if created else 200, _out(system))
