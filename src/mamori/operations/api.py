"""API of the incident register (SRM 6-1-3, 7-3; ISM 8-1-3, 9-3).

``GET /api/operations/incidents`` (scope ``incidents:read``; filters ``status``, ``kind``,
``severity``, ``drill``, ``source``) and ``GET /api/operations/incidents/{reference}`` give the
incidents, one with its roles, links and timeline; ``POST /api/operations/incidents`` (scope
``incidents:report``) reports one in two fields; ``POST .../{reference}/status`` and
``POST .../{reference}/notes`` (scope ``incidents:write``) run it. ``POST
/api/operations/alerts`` takes a signed alert from outside (:mod:`.services.alerts`).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from ninja.security import APIKeyHeader

from mamori.core.api import Pagination, acting_person, authenticated, refusals
from mamori.core.api_parser import refuse_nul
from mamori.operations.models import Incident
from mamori.operations.services import alerts, incidents

__all__ = ["router"]

router = Router(tags=["operations"])


class IncidentOut(Schema):
    """An incident: what, where, kind, severity and the rule that set it, status, command."""

    reference: str
    title: str
    location: str
    kind: str
    severity: str
    severity_rule: str
    status: str
    drill: bool
    source: str
    detected_at: str
    reported_at: str
    commander: str | None
    customers_affected: int
    assets_at_risk_jpy: str
    outage_minutes: int
    records_affected: int
    personal_data: bool
    unauthorised_access: bool
    systems: list[str]
    assets: list[str]


class IncidentEntryOut(Schema):
    """One entry of an incident's timeline."""

    at: str
    by: str | None
    kind: str
    text: str


class IncidentDetailOut(IncidentOut):
    """An incident with its roles, linked records and timeline."""

    roles: dict[str, str]
    links: list[dict[str, str]]
    timeline: list[IncidentEntryOut]


class IncidentReportIn(Schema):
    """What happened and where; the kind if known."""

    title: str
    location: str
    kind: str = "other"


class IncidentStatusIn(Schema):
    """The status to move to, with a note."""

    status: str
    note: str = ""


class IncidentNoteIn(Schema):
    """A note for the timeline."""

    text: str


class AlertOut(Schema):
    """The incident an alert raised, and whether it was new."""

    incident: str
    new: bool


def _incident(incident: Incident) -> dict[str, Any]:
    return {
        "reference": incident.reference,
        "title": incident.title,
        "location": incident.location,
        "kind": incident.kind,
        "severity": incident.severity,
        "severity_rule": incident.severity_rule,
        "status": incident.status,
        "drill": incident.drill,
        "source": incident.source,
        "detected_at": incident.detected_at.isoformat(),
        "reported_at": incident.reported_at.isoformat(),
        "commander": incident.commander.get_username() if incident.commander else None,
        "customers_affected": incident.customers_affected,
        "assets_at_risk_jpy": str(incident.assets_at_risk_jpy),
        "outage_minutes": incident.outage_minutes,
        "records_affected": incident.records_affected,
        "personal_data": incident.personal_data,
        "unauthorised_access": incident.unauthorised_access,
        "systems": list(incident.systems),
        "assets": list(incident.assets),
    }


def _detail(incident: Incident) -> dict[str, Any]:
    return {
        **_incident(incident),
        "roles": {r.role: r.person.get_username() for r in incident.roles.select_related("person")},
        "links": [
            {"type": link.object_type, "key": link.object_key, "label": link.label}
            for link in incident.links.all()
        ],
        "timeline": [
            {
                "at": e.at.isoformat(),
                "by": e.by.get_username() if e.by else None,
                "kind": e.kind,
                "text": e.text,
            }
            for e in incident.timeline.select_related("by")
        ],
    }


@router.get(
    "/incidents",
    response={200: list[IncidentOut], **refusals(422)},
    auth=authenticated("incidents:read"),
)
@paginate(Pagination)
def list_incidents(
    request: HttpRequest,
    status: str | None = None,
    kind: str | None = None,
    severity: str | None = None,
    drill: bool | None = None,
    source: str | None = None,
) -> Any:
    """The incidents, newest first, narrowed by the filters."""
    rows = Incident.objects.select_related("commander")
    choices = {
        "status": Incident.Status.values,
        "kind": Incident.Kind.values,
        "severity": Incident.Severity.values,
        "source": Incident.Source.values,
    }
    given = {"status": status, "kind": kind, "severity": severity, "source": source}
    for name, value in (*given.items(), ("drill", drill)):
        if value is None:
            continue
        if name in choices and value not in choices[name]:
            raise incidents.IncidentRefused(
                "bad_filter",
                _("Expected %(name)s in %(values)s, got %(value)s.")
                % {"name": name, "values": ", ".join(choices[name]), "value": str(value)[:40]},
                fields=[(name, _("Unknown value."))],
            )
        rows = rows.filter(**{name: value})
    return [_incident(i) for i in rows]


def _found(reference: str) -> Incident:
    return get_object_or_404(Incident.objects.select_related("commander"), reference=reference)


@router.get(
    "/incidents/{reference}",
    response={200: IncidentDetailOut, **refusals(404, 422)},
    auth=authenticated("incidents:read"),
)
def incident_detail(request: HttpRequest, reference: str) -> dict[str, Any]:
    """One incident with its roles, links and timeline."""
    return _detail(_found(reference))


@router.post(
    "/incidents",
    response={201: IncidentDetailOut, **refusals(422)},
    auth=authenticated("incidents:report", person_required=True),
)
def report_incident(request: HttpRequest, payload: IncidentReportIn) -> Status[dict[str, Any]]:
    """Report an incident: what happened and where (SRM 7-3, ISM 9-3)."""
    by = acting_person(request, "incidents.report")
    if not payload.location.strip():
        raise incidents.IncidentRefused(
            "location_required",
            _("Say where it happened."),
            fields=[("location", _("This field is required."))],
        )
    incident = incidents.report(payload.title, payload.location, by, kind=payload.kind)  # type: ignore[arg-type]
    return Status(201, _detail(incident))


@router.post(
    "/incidents/{reference}/status",
    response={200: IncidentDetailOut, **refusals(404, 409, 422)},
    auth=authenticated("incidents:write", person_required=True),
)
def change_status(
    request: HttpRequest, reference: str, payload: IncidentStatusIn
) -> dict[str, Any]:
    """Move the incident to a status; a closed incident no longer changes (409)."""
    by = acting_person(request, "incidents.manage")
    incident = incidents.change_status(_found(reference), payload.status, by, payload.note)  # type: ignore[arg-type]
    return _detail(incident)


@router.post(
    "/incidents/{reference}/notes",
    response={201: IncidentDetailOut, **refusals(404, 409, 422)},
    auth=authenticated("incidents:write", person_required=True),
)
def add_note(
    request: HttpRequest, reference: str, payload: IncidentNoteIn
) -> Status[dict[str, Any]]:
    """Add a note to the incident's timeline."""
    by = acting_person(request, "incidents.manage")
    incident = _found(reference)
    incidents.add_note(incident, payload.text, by)  # type: ignore[arg-type]
    return Status(201, _detail(incident))


class SourceSignature(APIKeyHeader):
    """A source's signature over the raw body: HMAC-SHA256 with the source's secret over
    ``<timestamp>.<body>``, the timestamp within five minutes. No person or token holds
    ``permission``: only a source's secret opens the endpoint."""

    param_name = "X-Mamori-Signature"
    permission = "incidents.alert"

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.headers.get(self.param_name, "")

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        """Return the signing source; raise the refusal saying what is wrong."""
        return alerts.authenticate(
            request.headers.get("X-Mamori-Source", ""),
            request.headers.get("X-Mamori-Timestamp", ""),
            key or "",
            request.body,
        )


@router.post(
    "/alerts",
    response={200: AlertOut, 201: AlertOut, **refusals(401, 403, 422)},
    auth=[SourceSignature()],
)
def alert(request: HttpRequest) -> Status[dict[str, Any]]:
    """Raise the incident of a signed alert from outside; the same (source, key) again
    raises nothing (200)."""
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise alerts.AlertRefused("bad_alert", _("the body is not JSON")) from None
    refuse_nul(data)
    incident, new = alerts.intake(data, "webhook", source=request.auth)  # type: ignore[attr-defined]
    return Status(201 if new else 200, {"incident": incident.reference, "new": new})
