"""Pages of the key-holder entitlements (ISM 31): the systems, one system with its grants,
changes, imports, reconciliations and findings, the forms acting on them, and the checklist
for internal audit (page and CSV)."""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.exports import safe_row
from mamori.core.tables import downloaded, listing
from mamori.keys import entitlements
from mamori.keys import forms_entitlements as forms
from mamori.keys.lists_entitlements import SystemTable
from mamori.keys.models import EntitlementChange, EntitlementFinding, KeySystem


@permission_required("keys.view")
def systems_view(request: HttpRequest) -> HttpResponse:
    """List the systems where key holders act (ISM 31-2)."""
    found = listing(request, KeySystem.objects.select_related("owner"), SystemTable)
    if download := downloaded(found):
        return download
    return render(
        request,
        "keys/systems.html",
        {"systems": found, "can_manage": has_permission(request.user, "keys.manage")},
    )


@permission_required("keys.manage")
def system_new_view(request: HttpRequest) -> HttpResponse:
    """Register a system where key holders act."""
    form = forms.SystemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        system = form.save()
        messages.success(request, _("System %(name)s registered.") % {"name": system.name})
        return redirect("keys:system", pk=system.pk)
    return render(request, "keys/system_form.html", {"form": form})


@permission_required("keys.manage")
def system_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a system's kind, roles, owner, wallets or period."""
    system = get_object_or_404(KeySystem, pk=pk)
    form = forms.SystemForm(request.POST or None, instance=system)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("System %(name)s saved.") % {"name": system.name})
        return redirect("keys:system", pk=system.pk)
    return render(request, "keys/system_form.html", {"form": form, "system": system})


@permission_required("keys.view")
def system_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One system: its grants, the changes with approver, doer and checker, the imports, the
    reconciliations and the findings."""
    system = get_object_or_404(
        KeySystem.objects.select_related("owner").prefetch_related("wallets"), pk=pk
    )
    data = entitlements.checklist(system)
    findings = [(f, entitlements.finding_text(f.code)) for f in data["findings"]]
    return render(
        request,
        "keys/system.html",
        {
            **data,
            "findings": findings,
            "open_count": sum(1 for f, _said in findings if f.status == "open"),
            "imports": [
                (i, [entitlements.row_text(e) for e in i.errors])
                for i in system.imports.select_related("by").order_by("-at")
            ],
            "can_manage": has_permission(request.user, "keys.manage"),
            "can_entitle": has_permission(request.user, "keys.entitle"),
            "change_form": forms.ChangeForm(),
            "import_form": forms.ImportForm(),
            "done_form": forms.DoneForm(),
            "check_form": forms.CheckForm(),
            "resolve_form": forms.ResolveForm(),
        },
    )


@permission_required("keys.entitle")
def change_new_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for a grant, change or removal; it goes to the approvals (ISM 31-4)."""
    system = get_object_or_404(KeySystem, pk=pk)
    if request.method != "POST":
        return redirect("keys:system", pk=pk)
    form = forms.ChangeForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("The request is incomplete: %(errors)s") % {"errors": _errors(form)}
        )
        return redirect("keys:system", pk=pk)
    data = form.cleaned_data
    try:
        entitlements.request_change(
            system,
            data["person"],
            data["action"],
            data["role"].strip(),
            data["reason"],
            request.user,  # type: ignore[arg-type]
            data["previous_role"].strip(),
        )
    except entitlements.EntitlementRefused as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("The request was sent for approval."))
    return redirect("keys:system", pk=pk)


def _errors(form: object) -> str:
    errors = form.errors  # type: ignore[attr-defined]
    return "; ".join(f"{field}: {' '.join(problems)}" for field, problems in errors.items())


@permission_required("keys.entitle")
def change_done_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that the approved change was carried out in the system (not by its approver)."""
    change = get_object_or_404(EntitlementChange, pk=pk)
    if request.method == "POST":
        form = forms.DoneForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        try:
            entitlements.record_done(change, request.user, note)  # type: ignore[arg-type]
        except entitlements.EntitlementRefused as refused:
            messages.error(request, refused.shown())
        else:
            messages.success(request, _("Recorded as carried out."))
    return redirect("keys:system", pk=change.system_id)


@permission_required("keys.entitle")
def change_check_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the check of the work (not by its approver nor by who did it)."""
    change = get_object_or_404(EntitlementChange, pk=pk)
    if request.method == "POST":
        form = forms.CheckForm(request.POST)
        if not form.is_valid():
            messages.error(
                request, _("The check is incomplete: %(errors)s") % {"errors": _errors(form)}
            )
            return redirect("keys:system", pk=change.system_id)
        try:
            entitlements.record_check(
                change,
                request.user,  # type: ignore[arg-type]
                form.cleaned_data["ok"],
                form.cleaned_data["note"],
            )
        except entitlements.EntitlementRefused as refused:
            messages.error(request, refused.shown())
        else:
            messages.success(request, _("The check was recorded."))
    return redirect("keys:system", pk=change.system_id)


@permission_required("keys.manage")
def import_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Import the system's actual accounts and reconcile; nothing kept when a row is bad."""
    system = get_object_or_404(KeySystem, pk=pk)
    if request.method != "POST":
        return redirect("keys:system", pk=pk)
    form = forms.ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(
            request, _("The import is incomplete: %(errors)s") % {"errors": _errors(form)}
        )
        return redirect("keys:system", pk=pk)
    upload = form.cleaned_data["file"]
    try:
        made = entitlements.import_accounts(
            system,
            form.cleaned_data["file_format"],
            upload.read(),
            upload.name or "upload",
            request.user,  # type: ignore[arg-type]
        )
    except entitlements.EntitlementRefused as refused:
        messages.error(request, refused.shown())
        return redirect("keys:system", pk=pk)
    if made.status == made.Status.REFUSED:
        messages.error(request, entitlements.refused(made).shown())
    else:
        run = made.reconciliations.get()
        messages.success(
            request,
            _("%(rows)s account row(s) imported: %(found)s finding(s), %(raised)s new.")
            % {"rows": made.row_count, "found": run.found, "raised": run.raised},
        )
    return redirect("keys:system", pk=pk)


@permission_required("keys.manage")
def finding_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Close an open finding with a reason."""
    finding = get_object_or_404(EntitlementFinding, pk=pk)
    if request.method == "POST":
        form = forms.ResolveForm(request.POST)
        try:
            entitlements.resolve(
                finding,
                request.user,  # type: ignore[arg-type]
                form.cleaned_data["reason"] if form.is_valid() else "",
            )
        except entitlements.EntitlementRefused as refused:
            messages.error(request, refused.shown())
        else:
            messages.success(request, _("The finding was resolved."))
    return redirect("keys:system", pk=finding.system_id)


@permission_required("keys.view")
def checklist_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The checklist of one system for internal audit (ISM 31-3, 31-6): the page, or with
    ``?format=csv`` the CSV (recorded in the audit log as an export)."""
    system = get_object_or_404(KeySystem.objects.select_related("owner"), pk=pk)
    if request.GET.get("format") == "csv":
        from mamori.auditlog.services import record_export

        text = io.StringIO()
        writer = csv.writer(text)
        for row in entitlements.checklist_rows(system):
            writer.writerow(safe_row(row))
        body = text.getvalue().encode("utf-8-sig")
        record_export(
            "keys.keysystem", hashlib.sha256(body).hexdigest(), {"format": "csv"}, str(system.pk)
        )
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="checklist-{system.pk}.csv"'
        return response
    data = entitlements.checklist(system)
    findings = [(f, entitlements.finding_text(f.code)) for f in data["findings"]]
    if request.GET.get("format") == "pdf":
        return _checklist_pdf(request, system, {**data, "findings": findings})
    return render(request, "keys/checklist.html", {**data, "findings": findings})


def _checklist_pdf(
    request: HttpRequest, system: KeySystem, context: dict[str, Any]
) -> HttpResponse:
    """The checklist as a PDF, recorded in the audit log as an export."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    from mamori.auditlog.services import record_export

    html = render_to_string(
        "keys/checklist_pdf.html",
        {**context, "language": get_language(), "generated_at": timezone.now()},
    )
    body = bytes(HTML(string=html).write_pdf())
    record_export(
        "keys.keysystem", hashlib.sha256(body).hexdigest(), {"format": "pdf"}, str(system.pk)
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="checklist-{system.pk}.pdf"'
    return response
