"""The API of exports, mounted by each module on its own router under its own scope:
``POST …/exports`` asks (202, at once), ``GET …/exports/{id}`` follows, ``GET
…/exports/{id}/file`` downloads (recorded in the audit log)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from mamori.core.api import acting_person, authenticated, refusals
from mamori.core.scopes import permission_for
from mamori.scheduler.exportjobs import services
from mamori.scheduler.exportjobs.kinds import get_kind
from mamori.scheduler.models import ExportJob

__all__ = ["ExportIn", "ExportOut", "add_export_routes"]


class ExportIn(Schema):
    """An export to build: its kind (one the endpoint offers), language and parameters."""

    kind: str = Field(max_length=100)
    language: str = Field(default="ja", pattern=r"^(ja|en)$")
    parameters: dict[str, Any] = {}


class ExportOut(Schema):
    """An export and how far it got; ``download`` is its file's address once it is ready."""

    id: int
    kind: str
    state: str
    step: int
    steps: int
    step_name: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    file_name: str
    size: int | None
    sha256: str
    error_code: str
    error: str
    download: str | None


#: The 200 answer of a download: the file, of the type its export makes.
_FILE = {
    "description": "The file, whole (its SHA-256 is the job's).",
    "content": {
        kind: {"schema": {"type": "string", "format": "binary"}}
        for kind in (
            "application/pdf",
            "application/zip",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    },
}


def _out(job: ExportJob, prefix: str) -> dict[str, Any]:
    steps = get_kind(job.kind).steps
    return {
        **{name: getattr(job, name) for name in ExportOut.model_fields if hasattr(job, name)},
        "id": job.pk,
        "step_name": str(steps[job.step - 1]) if 0 < job.step <= len(steps) else "",
        "download": f"/api{prefix}/exports/{job.pk}/file"
        if job.state == ExportJob.State.DONE
        else None,
    }


def add_export_routes(router: Router, prefix: str, scope: str, kinds: tuple[str, ...]) -> None:
    """Add the three export endpoints for ``kinds`` to ``router`` (mounted at ``/api`` +
    ``prefix``), each open to ``scope``."""
    app = prefix.strip("/").replace("/", "_")

    def _job(request: HttpRequest, job_id: int) -> ExportJob:
        job = get_object_or_404(ExportJob, pk=job_id, kind__in=kinds)
        person = acting_person(request, permission_for(scope))
        if person is not None and not services.may_download(person, job):
            raise services.ExportRefused("not_allowed", _("you may not have this export"), 403)
        return job

    @router.post(
        "/exports",
        response={202: ExportOut, **refusals(403, 404, 422)},
        auth=authenticated(scope, person_required=True),
        operation_id=f"{app}_export_ask",
    )
    def ask(request: HttpRequest, body: ExportIn) -> Status[dict[str, Any]]:
        """Ask for an export: answered at once (202) with the job the worker builds."""
        if body.kind not in kinds:
            raise services.ExportRefused(
                "unknown_export",
                _("this endpoint builds %(kinds)s") % {"kinds": ", ".join(kinds)},
                fields=[("kind", _("not one of %(kinds)s") % {"kinds": ", ".join(kinds)})],
            )
        person = acting_person(request, permission_for(scope))
        assert person is not None  # person_required
        job = services.request_export(person, body.kind, body.parameters, body.language)
        return Status(202, _out(job, prefix))

    @router.get(
        "/exports/{job_id}",
        response={200: ExportOut, **refusals(403, 404, 422)},
        auth=authenticated(scope),
        operation_id=f"{app}_export_status",
    )
    def status(request: HttpRequest, job_id: int) -> dict[str, Any]:
        """Follow an export: its state and step; its download address once ready."""
        return _out(_job(request, job_id), prefix)

    @router.get(
        "/exports/{job_id}/file",
        response=refusals(403, 404, 409, 410, 422),
        auth=authenticated(scope),
        operation_id=f"{app}_export_file",
        openapi_extra={"responses": {200: _FILE}},
    )
    def file(request: HttpRequest, job_id: int) -> HttpResponse:
        """Download a finished export (recorded in the audit log with its SHA-256)."""
        job = _job(request, job_id)
        person = acting_person(request, permission_for(scope))
        data = services.download(person, job)
        response = HttpResponse(data, content_type=job.content_type)
        response.headers["Content-Disposition"] = f'attachment; filename="{job.file_name}"'
        return response
