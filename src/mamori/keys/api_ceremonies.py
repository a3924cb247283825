"""API of key ceremonies (ISM 28-1, 28-2) and of backup access events (ISM 28-3-5).

``GET /api/keys/ceremonies`` and ``GET /api/keys/ceremonies/{id}`` (scope ``keys:read``) give
the ceremonies, and for one its steps, people and verified public output.
``POST /api/keys/backup-events`` takes a backup site's access event, signed with the site's
secret: headers ``X-Mamori-Site: <site code>``, ``X-Mamori-Timestamp: <Unix seconds>`` and
``X-Mamori-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">``; refused (401)
with the reason for a bad signature or a timestamp more than five minutes away.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.responses import Status
from ninja.security import APIKeyHeader

from mamori.core.api import authenticated, refusals
from mamori.core.api_parser import refuse_nul
from mamori.keys import backup_access
from mamori.keys.api import router
from mamori.keys.models import Ceremony

__all__ = ["SiteSignature"]


class SiteSignature(APIKeyHeader):
    """A backup site's signature over the raw body (ISM 28-3-5): HMAC-SHA256 with the site's
    secret over ``<timestamp>.<body>``, the timestamp within five minutes. No person or
    token holds ``permission``: only a site's secret opens the endpoint."""

    param_name = "X-Mamori-Signature"
    permission = "keys.report_backup_access"

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.headers.get(self.param_name, "")

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        """Return the signing site; raise the refusal saying what is wrong."""
        return backup_access.authenticate(
            request.headers.get("X-Mamori-Site", ""),
            request.headers.get("X-Mamori-Timestamp", ""),
            key or "",
            request.body,
        )


class StepOut(Schema):
    """One step of the script: who checked it off, when, with which note."""

    number: int
    text: str
    done_at: str | None
    done_by: str | None
    note: str


class CeremonyPersonOut(Schema):
    """A participant (with their part) or a witness."""

    person: str
    part: str
    witness: bool


class CeremonyOut(Schema):
    """A ceremony: kind, wallet, sites, window, state and whether its output matched."""

    id: int
    title: str
    kind: str
    wallet: str
    sites: list[str]
    starts_at: str
    ends_at: str
    state: str
    script_version: int
    approval: int | None
    output_matched: bool | None


class CeremonyDetailOut(CeremonyOut):
    """A ceremony with its steps, people and verified public output (never a secret)."""

    steps: list[StepOut]
    people: list[CeremonyPersonOut]
    output_kind: str
    output_public: str
    output_result: list[dict[str, Any]]
    closing_note: str


class EventOut(Schema):
    """What the event recorded: per backup, whether it was expected (none for a resend)."""

    event_id: str
    recorded: list[dict[str, Any]]
    duplicate: bool


def _ceremony(ceremony: Ceremony) -> dict[str, Any]:
    return {
        "id": ceremony.pk,
        "title": ceremony.title,
        "kind": ceremony.kind,
        "wallet": ceremony.wallet.name,
        "sites": sorted(s.code for s in ceremony.sites.all()),
        "starts_at": ceremony.starts_at.isoformat(),
        "ends_at": ceremony.ends_at.isoformat(),
        "state": ceremony.state,
        "script_version": ceremony.script_version,
        "approval": ceremony.approval_id,
        "output_matched": ceremony.output_matched,
    }


@router.get("/ceremonies", response={200: list[CeremonyOut]}, auth=authenticated("keys:read"))
def list_ceremonies(request: HttpRequest) -> list[dict[str, Any]]:
    """Every key ceremony, newest window first."""
    found = Ceremony.objects.select_related("wallet").prefetch_related("sites")
    return [_ceremony(c) for c in found]


@router.get(
    "/ceremonies/{ceremony_id}",
    response={200: CeremonyDetailOut, **refusals(404, 422)},
    auth=authenticated("keys:read"),
)
def ceremony_detail(request: HttpRequest, ceremony_id: int) -> dict[str, Any]:
    """One ceremony: its steps, people and its verified public output."""
    ceremony = get_object_or_404(Ceremony.objects.select_related("wallet"), pk=ceremony_id)
    return {
        **_ceremony(ceremony),
        "steps": [
            {
                "number": s.number,
                "text": s.text,
                "done_at": s.done_at.isoformat() if s.done_at else None,
                "done_by": s.done_by.username if s.done_by else None,
                "note": s.note,
            }
            for s in ceremony.steps.select_related("done_by")
        ],
        "people": [
            {"person": p.person.username, "part": p.part, "witness": p.witness}
            for p in ceremony.people.select_related("person")
        ],
        "output_kind": ceremony.output_kind,
        "output_public": ceremony.output_public,
        "output_result": ceremony.output_result,
        "closing_note": ceremony.closing_note,
    }


@router.post(
    "/backup-events",
    response={200: EventOut, 201: EventOut, **refusals(401, 403, 422)},
    auth=[SiteSignature()],
)
def backup_event(request: HttpRequest) -> Status[dict[str, Any]]:
    """Record a backup site's access event, signed with the site's secret; an access outside
    an approved ceremony at the site alerts at once. A resend records nothing (200)."""
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise backup_access.AccessRefused("bad_event", _("the body is not JSON")) from None
    refuse_nul(data)
    recorded = backup_access.record(data, "webhook", from_site=request.auth)  # type: ignore[attr-defined]
    body = {
        "event_id": recorded.event_id,
        "recorded": [
            {"backup": a.backup.label, "expected": a.expected, "ceremony": a.ceremony_id}
            for a in recorded.new
        ],
        "duplicate": not recorded.new,
    }
    return Status(201 if recorded.new else 200, body)
