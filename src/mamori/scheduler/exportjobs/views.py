"""Pages of exports: ask (from the page that offers one), follow its progress, download it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation

from mamori.accounts.views.access import signed_in_required
from mamori.core.errors import Refused
from mamori.core.tables import downloaded, listing
from mamori.scheduler.exportjobs import services
from mamori.scheduler.exportjobs.kinds import get_kind
from mamori.scheduler.exportjobs.lists import ExportTable
from mamori.scheduler.models import ExportJob

__all__ = ["download_view", "export_view", "exports_view", "language_of", "start"]

#: Seconds between two looks of the page at a job not finished.
REFRESH_SECONDS = 2


def language_of(request: HttpRequest) -> str:
    """Return the language an export is asked in: ``lang`` of the form or query, else the
    page's."""
    wanted = request.POST.get("lang") or request.GET.get("lang") or ""
    wanted = wanted or translation.get_language() or "ja"
    return "en" if wanted.startswith("en") else "ja"


def start(request: HttpRequest, kind: str, parameters: dict[str, Any]) -> HttpResponse:
    """Queue ``kind`` for the person asking and send them to its page (at once: the worker
    builds it)."""
    try:
        job = services.request_export(
            request.user,  # type: ignore[arg-type]
            kind,
            parameters,
            language_of(request),
        )
    except services.ExportRefused as refused:
        if refused.status == 403:
            raise PermissionDenied(refused.message) from None
        messages.error(request, refused.shown())
        return redirect(request.META.get("HTTP_REFERER") or "exports:list")
    except Refused as refused:
        messages.error(request, refused.shown())
        return redirect(get_kind(kind).back(parameters))
    return redirect("exports:job", pk=job.pk)


def _mine(request: HttpRequest, pk: int) -> ExportJob:
    job = get_object_or_404(ExportJob.objects.select_related("requested_by"), pk=pk)
    if not services.may_download(request.user, job):
        raise PermissionDenied("export")
    return job


@signed_in_required
def exports_view(request: HttpRequest) -> HttpResponse:
    """List the exports the person asked for, newest first."""
    mine = ExportJob.objects.filter(requested_by=request.user.pk)
    found = listing(request, mine, ExportTable)
    if download := downloaded(found):
        return download
    return render(request, "scheduler/exports.html", {"exports": found})


@signed_in_required
def export_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one export: its progress while it is built (the page looks again every few
    seconds), then its download link, or why it failed."""
    job = _mine(request, pk)
    kind = get_kind(job.kind)
    waiting = job.state in (ExportJob.State.QUEUED, ExportJob.State.RUNNING)
    step = kind.steps[job.step - 1] if 0 < job.step <= len(kind.steps) else None
    return render(
        request,
        "scheduler/export.html",
        {
            "job": job,
            "kind": kind,
            "step": step,
            "waiting": waiting,
            "refresh": REFRESH_SECONDS if waiting else None,
            "internal": job.error_code in (services.INTERNAL, services.WORKER_LOST),
            "back": kind.back(job.parameters),
        },
    )


@signed_in_required
def download_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Download a finished export (recorded in the audit log)."""
    job = _mine(request, pk)
    try:
        data = services.download(request.user, job)
    except services.ExportRefused as refused:
        messages.error(request, refused.shown())
        return redirect("exports:job", pk=job.pk)
    response = HttpResponse(data, content_type=job.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{job.file_name}"'
    return response
