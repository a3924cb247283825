"""API of the key-holder systems (ISM 31), on the keys router.

``GET /api/keys/systems`` and ``GET /api/keys/systems/{id}/reconciliations`` (scope
``keys:read``) give the systems and a system's reconciliations with their findings;
``POST /api/keys/systems/{id}/imports`` (scope ``keys:write``, a file and its ``file_format``:
``csv``, ``json`` or ``aws-kms-key-policy``) imports the system's actual accounts and
reconciles them — refused whole (422, ``import_refused``, every bad row in ``fields``) when a
row is bad.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from mamori.core.api import acting_person, authenticated, refusals
from mamori.core.errors import Refused
from mamori.keys import entitlements
from mamori.keys.api import router
from mamori.keys.forms_entitlements import MAX_IMPORT
from mamori.keys.models import EntitlementFinding, KeySystem, Reconciliation

__all__ = ["list_systems", "system_imports", "system_reconciliations"]


class SystemOut(Schema):
    """A system where key holders act, its roles, grants and open findings."""

    id: int
    name: str
    kind: str
    roles: list[str]
    owner: str
    wallets: list[str]
    period_days: int
    active_grants: int
    open_findings: int
    last_reconciled: str | None


class FindingOut(Schema):
    """One finding of a reconciliation: its stable code, what it is about and its state."""

    id: int
    code: str
    said: str
    account: str
    person: str
    role: str
    expected: list[str]
    lesser: bool
    status: str
    resolution: str


class ReconciliationOut(Schema):
    """One reconciliation: the import it read, how many findings, raised and cleared."""

    id: int
    at: str
    file_name: str
    file_format: str
    sha256: str
    rows: int
    imported_by: str | None
    found: int
    raised: int
    cleared: int
    raised_findings: list[FindingOut]


def _system(system: KeySystem) -> dict[str, Any]:
    last = system.reconciliations.order_by("-at").first()
    return {
        "id": system.pk,
        "name": system.name,
        "kind": system.kind,
        "roles": list(system.roles),
        "owner": system.owner.username,
        "wallets": [w.name for w in system.wallets.all()],
        "period_days": system.period_days,
        "active_grants": system.grants.filter(active=True).count(),
        "open_findings": system.findings.filter(status=EntitlementFinding.Status.OPEN).count(),
        "last_reconciled": last.at.isoformat() if last else None,
    }


def _finding(finding: EntitlementFinding) -> dict[str, Any]:
    return {
        "id": finding.pk,
        "code": finding.code,
        "said": entitlements.finding_text(finding.code),
        "account": finding.account,
        "person": finding.person_ref,
        "role": finding.role,
        "expected": list(finding.expected),
        "lesser": finding.lesser,
        "status": finding.status,
        "resolution": finding.resolution,
    }


def _run(run: Reconciliation) -> dict[str, Any]:
    return {
        "id": run.pk,
        "at": run.at.isoformat(),
        "file_name": run.source.file_name,
        "file_format": run.source.file_format,
        "sha256": run.source.sha256,
        "rows": run.source.row_count,
        "imported_by": run.source.by.username if run.source.by else None,
        "found": run.found,
        "raised": run.raised,
        "cleared": run.cleared,
        "raised_findings": [_finding(f) for f in run.raised_findings.all()],
    }


@router.get("/systems", response={200: list[SystemOut]}, auth=authenticated("keys:read"))
def list_systems(request: HttpRequest) -> list[dict[str, Any]]:
    """Every system where key holders act (ISM 31-2)."""
    systems = KeySystem.objects.select_related("owner").prefetch_related("wallets")
    return [_system(s) for s in systems]


@router.get(
    "/systems/{system_id}/reconciliations",
    response={200: list[ReconciliationOut], **refusals(404, 422)},
    auth=authenticated("keys:read"),
)
def system_reconciliations(request: HttpRequest, system_id: int) -> list[dict[str, Any]]:
    """A system's reconciliations, newest first, each with the findings it raised."""
    system = get_object_or_404(KeySystem, pk=system_id)
    runs = system.reconciliations.select_related("source__by").prefetch_related("raised_findings")
    return [_run(r) for r in runs]


@router.post(
    "/systems/{system_id}/imports",
    response={201: ReconciliationOut, **refusals(404, 413, 422)},
    auth=authenticated("keys:write"),
)
def system_imports(
    request: HttpRequest,
    system_id: int,
    file: File[UploadedFile],
    file_format: Form[str] = "csv",
) -> Status[dict[str, Any]]:
    """Import a file of the system's accounts and reconcile; 422 names every bad row and
    nothing is imported."""
    who = acting_person(request, "keys.manage")
    system = get_object_or_404(KeySystem, pk=system_id)
    if (file.size or 0) > MAX_IMPORT:
        raise Refused("too_large", _("the file is larger than 5 MB"), status=413)
    made = entitlements.import_accounts(
        system, file_format, file.read(), Path(file.name or "upload").name, who
    )
    if made.status == made.Status.REFUSED:
        raise entitlements.refused(made)
    return Status(201, _run(made.reconciliations.select_related("source__by").get()))
