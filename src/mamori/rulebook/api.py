"""API of the rulebook: coverage, requirement status, controls, evidence, policy drafts.

There is no endpoint that publishes a policy: publication happens only when the approval
mechanism approves a submitted version.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from mamori.accounts.models import User
from mamori.core.api import acting_person, authenticated, refusals
from mamori.core.errors import Refused
from mamori.rulebook.export_kinds import EVIDENCE_PACK, STATEMENT_PDF, STATEMENT_XLSX
from mamori.rulebook.models import Control, Evidence, PolicyDocument, PolicyVersion, Requirement
from mamori.rulebook.services import controls as control_services
from mamori.rulebook.services import policies
from mamori.rulebook.services.coverage import coverage
from mamori.rulebook.services.evidence import (
    EvidenceRefused,
    accept_evidence,
    reject_evidence,
    store_evidence,
)
from mamori.rulebook.services.status import compute, known_by
from mamori.scheduler.exportjobs.api import add_export_routes

__all__ = ["router"]

router = Router(tags=["rulebook"])


def _person(request: HttpRequest, permission: str) -> User:
    """Return who acts; a token nobody issued (command line) may not change the rulebook."""
    who = acting_person(request, permission)
    if who is None:
        raise Refused(
            "person_required",
            _("this token was issued by no person: the rulebook records who acts"),
            status=403,
        )
    return who


class RequirementOut(Schema):
    """A requirement with its status, how it is known and its controls with their kinds
    (a ``self`` control is mamori's own health and never counts)."""

    urn: str
    label: str
    strength: str
    text_ja: str
    text_en: str
    status: str
    reasons: list[str]
    controls: list[str]
    kinds: dict[str, str]
    known_by: str
    only_documents: bool


class ControlOut(Schema):
    """A control and whether it holds now."""

    code: str
    kind: str
    name_ja: str
    name_en: str
    owner_role: str
    ok: bool
    reason: str


class RunOut(Schema):
    """One run of a control."""

    control: str
    outcome: str
    summary_en: str
    started_at: datetime
    evidence: dict[str, Any]


class EvidenceOut(Schema):
    """Evidence kept for a document control, with its review and what it shows."""

    id: int
    control: str
    filename: str
    sha256: str
    size: int
    valid_until: date
    period_start: date | None = None
    period_end: date | None = None
    review: str
    claimed: list[str]
    confirmed: list[str]
    reviewed_by: str | None = None
    review_note: str = ""


class AcceptIn(Schema):
    """The owner's acceptance: a comment and each requirement (URN) the evidence shows."""

    comment: str
    requirements: list[str]


class RejectIn(Schema):
    """The owner's rejection, with the reason."""

    reason: str


def _evidence(item: Evidence) -> dict[str, Any]:
    return {
        "id": item.pk,
        "control": item.control.code,
        "filename": item.filename,
        "sha256": item.sha256,
        "size": item.size,
        "valid_until": item.valid_until,
        "period_start": item.period_start,
        "period_end": item.period_end,
        "review": item.review,
        "claimed": sorted(r.urn for r in item.claimed.all()),
        "confirmed": sorted(r.urn for r in item.confirmed.all()),
        "reviewed_by": item.reviewed_by.username if item.reviewed_by else None,
        "review_note": item.review_note,
    }


def _urns(control: Control, urns: list[str]) -> list[Requirement]:
    """Return the requirements ``urns`` names, refusing one the control does not serve."""
    found = list(control.requirements.filter(urn__in=urns))
    missing = sorted(set(urns) - {r.urn for r in found})
    if missing:
        raise EvidenceRefused(
            "requirement_not_served",
            _("%(control)s does not serve %(requirements)s")
            % {"control": control.code, "requirements": ", ".join(missing)},
        )
    return found


class DraftIn(Schema):
    """The sections of a policy summary, each ``{"ja": …, "en": …}``."""

    body: dict[str, dict[str, str]]


class VersionOut(Schema):
    """A version of a policy summary."""

    document: str
    number: int
    status: str
    approval: int | None = Field(None, alias="approval_id")
    published_at: datetime | None


def _version(v: PolicyVersion) -> dict[str, Any]:
    return {
        "document": v.document.code,
        "number": v.number,
        "status": v.status,
        "approval_id": v.approval_id,
        "published_at": v.published_at,
    }


@router.get("/coverage", response=dict[str, Any], auth=authenticated("rulebook:read"))
def get_coverage(request: HttpRequest) -> dict[str, Any]:
    """Return how many requirements have a control, per rule, and each one's status."""
    return coverage()


@router.get(
    "/requirements",
    response={200: list[RequirementOut], **refusals(422)},
    auth=authenticated("rulebook:read"),
)
def list_requirements(
    request: HttpRequest, rule: str = "", status: str = ""
) -> list[dict[str, Any]]:
    """List requirements (filter by ``rule`` = srm|ism and ``status``)."""
    compliance = compute()
    rows = Requirement.objects.filter(is_requirement=True, removed_in__isnull=True)
    if rule:
        rows = rows.filter(framework__ref_id=rule)
    out = []
    for node in rows.prefetch_related("controls").order_by("framework", "order"):
        state = compliance.of(node.urn)
        if status and state.value != status:
            continue
        out.append(
            {
                "urn": node.urn,
                "label": node.label,
                "strength": node.strength,
                "text_ja": node.text_ja,
                "text_en": node.text_en,
                "status": state.value,
                "reasons": [en for _, en in state.reasons],
                "controls": sorted(c.code for c in node.controls.all()),
                "kinds": {c.code: c.kind for c in node.controls.all()},
                "known_by": known_by(state),
                "only_documents": state.only_documents,
            }
        )
    return out


@router.get("/controls", response=list[ControlOut], auth=authenticated("rulebook:read"))
def list_controls(request: HttpRequest) -> list[dict[str, Any]]:
    """List the control catalogue with each control's current state."""
    states = control_services.states()
    return [
        {
            "code": c.code,
            "kind": c.kind,
            "name_ja": c.name_ja,
            "name_en": c.name_en,
            "owner_role": c.owner_role.code,
            "ok": states[c.pk].ok,
            "reason": states[c.pk].reason_en,
        }
        for c in Control.objects.select_related("owner_role").order_by("code")
    ]


@router.post(
    "/controls/{code}/runs",
    response={201: RunOut, **refusals(403, 404, 409, 422)},
    auth=authenticated("rulebook:write", person_required=True),
)
def run_control(request: HttpRequest, code: str) -> Status[dict[str, Any]]:
    """Run an automated or workflow control now."""
    who = _person(request, "rulebook.manage")
    control = get_object_or_404(Control, code=code)
    run = control_services.run_control(control, f"api:{who.username}")
    return Status(
        201,
        {
            "control": code,
            "outcome": run.outcome,
            "summary_en": run.summary_en,
            "started_at": run.started_at,
            "evidence": run.evidence,
        },
    )


@router.post(
    "/controls/{code}/evidence",
    response={201: EvidenceOut, **refusals(403, 404, 422)},
    auth=authenticated("rulebook:write", person_required=True),
)
def upload_evidence(
    request: HttpRequest,
    code: str,
    file: File[UploadedFile],
    title: Form[str] = "",
    valid_until: Form[date | None] = None,
    sha256: Form[str] = "",
    requirements: Form[str] = "",
    period_start: Form[date | None] = None,
    period_end: Form[date | None] = None,
) -> Status[dict[str, Any]]:
    """Upload evidence for a document control (refused if too large, wrong type or hash).

    ``requirements``: the URNs it shows, separated by spaces or commas (empty: every
    requirement of the control). It stays *pending* until the control's owner accepts it.
    """
    who = _person(request, "rulebook.manage")
    control = get_object_or_404(Control, code=code)
    urns = [u for u in requirements.replace(",", " ").split() if u]
    claimed = _urns(control, urns) if urns else None
    item = store_evidence(
        control,
        file,
        file.name or "upload",
        title,
        who,
        valid_until,
        sha256,
        claimed,
        (period_start, period_end),
    )
    return Status(201, _evidence(item))


@router.post(
    "/evidence/{evidence_id}/accept",
    response={200: EvidenceOut, **refusals(403, 404, 409, 422)},
    auth=authenticated("rulebook:write", person_required=True),
)
def accept(request: HttpRequest, evidence_id: int, body: AcceptIn) -> dict[str, Any]:
    """Accept pending evidence as the control's owner (not its uploader), confirming each
    requirement it shows; refused with a reason otherwise."""
    who = _person(request, "rulebook.manage")
    item = get_object_or_404(Evidence.objects.select_related("control"), pk=evidence_id)
    item = accept_evidence(item, who, body.comment, _urns(item.control, body.requirements))
    return _evidence(item)


@router.post(
    "/evidence/{evidence_id}/reject",
    response={200: EvidenceOut, **refusals(403, 404, 409, 422)},
    auth=authenticated("rulebook:write", person_required=True),
)
def reject(request: HttpRequest, evidence_id: int, body: RejectIn) -> dict[str, Any]:
    """Reject pending evidence as the control's owner (not its uploader), with the reason."""
    who = _person(request, "rulebook.manage")
    item = get_object_or_404(Evidence.objects.select_related("control"), pk=evidence_id)
    item = reject_evidence(item, who, body.reason)
    return _evidence(item)


@router.get(
    "/policies/{code}/versions",
    response={200: list[VersionOut], **refusals(404, 422)},
    auth=authenticated("rulebook:read"),
)
def list_versions(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    """List the versions of a policy summary."""
    document = get_object_or_404(PolicyDocument, code=code)
    return [_version(v) for v in document.versions.all()]


@router.post(
    "/policies/{code}/versions",
    response={201: VersionOut, **refusals(403, 404, 409, 422)},
    auth=authenticated("rulebook:write", person_required=True),
)
def create_draft(request: HttpRequest, code: str, body: DraftIn) -> Status[dict[str, Any]]:
    """Create a new draft version (every section in Japanese and English)."""
    who = _person(request, "rulebook.manage")
    document = get_object_or_404(PolicyDocument, code=code)
    version = policies.save_draft(document, body.body, who)
    return Status(201, _version(version))


@router.post(
    "/policies/{code}/versions/{number}/submit",
    response={202: VersionOut, **refusals(403, 404, 409, 422)},
    auth=authenticated("rulebook:write", person_required=True),
)
def submit_version(request: HttpRequest, code: str, number: int) -> Status[dict[str, Any]]:
    """Send a draft for approval; it is published only when the approval completes."""
    who = _person(request, "rulebook.manage")
    version = get_object_or_404(PolicyVersion, document__code=code, number=number)
    policies.submit_for_publication(version, who)
    version.refresh_from_db()
    return Status(202, _version(version))


add_export_routes(
    router, "/rulebook", "rulebook:export", (STATEMENT_PDF, STATEMENT_XLSX, EVIDENCE_PACK)
)
