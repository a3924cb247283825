"""Leak-response pages (ISM 30): the runbook and the compensation policy with their versions
and approvals, the revision flag, drills with key holders."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from mamori.accounts.services.approvals import ApprovalRefused
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.keys import forms_edit, leak
from mamori.keys.models import Drill, ResponseDocument, ResponseVersion


def _kind(kind: str) -> str:
    if kind not in ResponseDocument.Kind.values:
        raise Http404("no such document")
    return kind


@permission_required("keys.view")
def leak_view(request: HttpRequest) -> HttpResponse:
    """The leak-response overview: each document's current version and revision flag, the
    state of ISM 30 and the drills."""
    documents = []
    for kind, label in ResponseDocument.Kind.choices:
        document = ResponseDocument.objects.filter(kind=kind).first()  # a look writes nothing
        reasons = [
            (r["at"].split("T")[0], leak.reason_shown(r["reason"]), r["what"])
            for r in (document.revision_reasons if document else [])
        ]
        versions = ResponseVersion.objects.filter(document__kind=kind).select_related("created_by")
        documents.append((kind, label, document, leak.approved(kind), versions, reasons))
    return render(
        request,
        "keys/leak.html",
        {
            "documents": documents,
            "state": leak.state(),
            "drill_due": leak.drill_due_on(),
            "drills": Drill.objects.prefetch_related("participants"),
            "can_manage": has_permission(request.user, "keys.manage"),
            "grace": leak.FLAG_GRACE_DAYS,
        },
    )


@permission_required("keys.manage")
def version_new_view(request: HttpRequest, kind: str) -> HttpResponse:
    """Draft a new version of the runbook or the compensation policy."""
    kind = _kind(kind)
    runbook = kind == ResponseDocument.Kind.RUNBOOK
    form = forms_edit.VersionForm(request.POST or None, request.FILES or None, runbook=runbook)
    if request.method != "POST" and runbook:
        current = leak.approved(kind)
        if current is not None:
            form.initial = {
                "text": current.text,
                "steps": "\n".join(f"{s['minutes']} | {s['title']}" for s in current.steps),
                "wallets": list(current.wallets.all()),
            }
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.get("file")
        try:
            steps = leak.parse_steps(data.get("steps", "")) if runbook else []
            version = leak.save_version(
                kind,
                request.user,  # type: ignore[arg-type]
                text=data["text"],
                file_name=upload.name if upload else "",
                file_data=upload.read() if upload else None,
                steps=steps,
                wallets=data.get("wallets") or [],
            )
        except leak.LeakRefused as refused:
            form.add_error(None, refused.shown())
        else:
            messages.success(request, _("Version %(number)s drafted.") % {"number": version.number})
            return redirect("keys:leak_version", pk=version.pk)
    label = dict(ResponseDocument.Kind.choices)[kind]
    return render(
        request,
        "keys/edit_form.html",
        {
            "form": form,
            "title": _("New version: %(document)s") % {"document": label},
            "multipart": True,
        },
    )


@permission_required("keys.view")
def version_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a version: its text or file, steps, wallets, status and approval; submit a draft."""
    version = get_object_or_404(
        ResponseVersion.objects.select_related("document", "created_by", "approval"), pk=pk
    )
    can_manage = has_permission(request.user, "keys.manage")
    if request.method == "POST" and can_manage:
        try:
            approval = leak.submit(version, request.user)  # type: ignore[arg-type]
        except (leak.LeakRefused, ApprovalRefused) as refused:
            messages.error(request, refused.shown())
        else:
            messages.success(
                request,
                _("Sent for approval as request #%(id)s; it becomes current once approved.")
                % {"id": approval.pk},
            )
        return redirect("keys:leak_version", pk=pk)
    return render(
        request,
        "keys/leak_version.html",
        {"version": version, "can_manage": can_manage, "wallets": version.wallets.all()},
    )


@permission_required("keys.view")
def version_file_view(request: HttpRequest, pk: int) -> FileResponse:
    """Serve a version's uploaded file."""
    version = get_object_or_404(ResponseVersion, pk=pk)
    if not version.file_sha256:
        raise Http404("no file")
    path = leak.file_path(version.file_sha256)
    if not path.exists():
        raise Http404("file missing")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=version.file_name,
        content_type=version.file_type,
    )


@permission_required("keys.manage")
def drill_new_view(request: HttpRequest) -> HttpResponse:
    """Schedule a drill with key holders."""
    form = forms_edit.DrillForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            drill = leak.schedule_drill(
                data["scheduled_for"],
                data["scenario"],
                data["participants"],
                request.user,  # type: ignore[arg-type]
            )
        except leak.LeakRefused as refused:
            form.add_error(None, refused.shown())
        else:
            messages.success(request, _("Drill scheduled."))
            return redirect("keys:drill", pk=drill.pk)
    return render(request, "keys/edit_form.html", {"form": form, "title": _("Schedule a drill")})


@permission_required("keys.view")
def drill_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a drill; record it once held (who took part, minutes per step, findings)."""
    drill = get_object_or_404(Drill.objects.select_related("runbook__document"), pk=pk)
    can_manage = has_permission(request.user, "keys.manage")
    form = None
    if drill.status == Drill.Status.SCHEDULED and can_manage:
        form = forms_edit.DrillRecordForm(
            request.POST or None, initial={"took_part": list(drill.participants.all())}
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                leak.record_drill(
                    drill, data["held_on"], data["took_part"], data["step_times"], data["findings"]
                )
            except leak.LeakRefused as refused:
                form.add_error(None, refused.shown())
            else:
                messages.success(request, _("Drill recorded."))
                return redirect("keys:drill", pk=pk)
    return render(
        request,
        "keys/drill.html",
        {
            "drill": drill,
            "form": form,
            "participants": drill.participants.all(),
            "took_part": drill.took_part.all(),
            "steps": drill.runbook.steps if drill.runbook else [],
        },
    )
