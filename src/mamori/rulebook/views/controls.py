"""Control catalogue pages: runs, evidence upload and download, the owner's review."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.auditlog.models import Entry
from mamori.auditlog.services import record_export
from mamori.core.paging import paged
from mamori.core.tables import listing
from mamori.rulebook.forms import (
    AcceptEvidenceForm,
    EvidenceForm,
    RejectEvidenceForm,
    ReviewForm,
)
from mamori.rulebook.lists import ControlTable
from mamori.rulebook.models import Control, Evidence
from mamori.rulebook.services import controls as control_services
from mamori.rulebook.services.evidence import (
    EvidenceRefused,
    accept_evidence,
    evidence_path,
    may_review,
    reject_evidence,
    store_evidence,
)


@permission_required("rulebook.view")
def controls_view(request: HttpRequest) -> HttpResponse:
    """List the catalogue with each control's current state (paged, sorted, filtered,
    downloadable)."""
    rows = Control.objects.select_related("owner_role").annotate(
        requirement_count=Count("requirements")
    )
    found = listing(request, rows, ControlTable)
    if isinstance(found, HttpResponse):
        return found
    return render(request, "rulebook/controls.html", {"rows": found})


def _audit_entries(control: Control) -> list[Entry]:
    """Return the audit-log entries of the control, its runs, evidence (and its downloads)
    and reviews."""
    wanted = Q(object_type="rulebook.control", object_id=str(control.pk))
    for label, model in (
        ("rulebook.controlrun", control.runs),
        ("rulebook.evidence", control.evidence),
        ("rulebook.controlreview", control.reviews),
    ):
        ids = [str(pk) for pk in model.values_list("pk", flat=True)[:200]]
        if ids:
            wanted |= Q(object_type=label, object_id__in=ids)
    return list(Entry.objects.filter(wanted).order_by("-position")[:30])


@permission_required("rulebook.view")
def control_view(request: HttpRequest, code: str) -> HttpResponse:
    """Show one control: requirements, its runs, evidence and reviews (newest first, each
    paged on its own), and forms."""
    control = get_object_or_404(Control.objects.select_related("owner_role"), code=code)
    evidence = paged(
        request,
        control.evidence.select_related(
            "uploaded_by", "reviewed_by", "control__owner_role"
        ).prefetch_related("claimed", "confirmed"),
        "evidence-page",
    )
    return render(
        request,
        "rulebook/control.html",
        {
            "control": control,
            "state": control_services.states()[control.pk],
            "requirements": control.requirements.order_by("framework", "order"),
            "runs": paged(request, control.runs.all(), "runs-page"),
            "evidence_page": evidence,
            "evidence": [
                {
                    "item": e,
                    "may_review": e.review == Evidence.Review.PENDING
                    and may_review(e, request.user),  # type: ignore[arg-type]
                    "accept_form": AcceptEvidenceForm(item=e, prefix=f"e{e.pk}"),
                    "reject_form": RejectEvidenceForm(prefix=f"e{e.pk}"),
                }
                for e in evidence
            ],
            "reviews": paged(request, control.reviews.select_related("reviewer"), "reviews-page"),
            "evidence_form": EvidenceForm(control=control),
            "review_form": ReviewForm(),
            "can_manage": has_permission(request.user, "rulebook.manage"),
            "audit_entries": _audit_entries(control),
            "can_read_log": has_permission(request.user, "auditlog.view"),
        },
    )


@require_POST
@permission_required("rulebook.manage")
def run_view(request: HttpRequest, code: str) -> HttpResponse:
    """Run an automated or workflow control now."""
    control = get_object_or_404(Control, code=code)
    try:
        run = control_services.run_control(control, f"user:{request.user}")
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        level = messages.SUCCESS if run.outcome == "pass" else messages.ERROR
        messages.add_message(request, level, f"{run.get_outcome_display()}: {run.summary}")
    return redirect("rulebook:control", code=code)


@require_POST
@permission_required("rulebook.manage")
def review_view(request: HttpRequest, code: str) -> HttpResponse:
    """Record the owner's review of a control."""
    control = get_object_or_404(Control, code=code)
    form = ReviewForm(request.POST)
    if form.is_valid():
        control_services.review_control(control, request.user, form.cleaned_data["note"])  # type: ignore[arg-type]
        messages.success(request, _("Review recorded."))
    else:
        messages.error(request, _("A review needs a note."))
    return redirect("rulebook:control", code=code)


@require_POST
@permission_required("rulebook.manage")
def upload_view(request: HttpRequest, code: str) -> HttpResponse:
    """Upload evidence; refused with the reason if too large, of a wrong type or hash."""
    control = get_object_or_404(Control, code=code)
    form = EvidenceForm(request.POST, request.FILES, control=control)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(
                    request,
                    f"{form.fields[field].label if field in form.fields else field}: {error}",
                )
        return redirect("rulebook:control", code=code)
    upload = form.cleaned_data["file"]
    try:
        item = store_evidence(
            control,
            upload,
            upload.name,
            form.cleaned_data["title"],
            request.user,  # type: ignore[arg-type]
            form.cleaned_data["valid_until"],
            form.cleaned_data["sha256"] or "",
            form.cleaned_data["requirements"] or None,
            (form.cleaned_data["period_start"], form.cleaned_data["period_end"]),
        )
    except EvidenceRefused as refused:
        messages.error(request, _("Upload refused: %(reason)s") % {"reason": refused.message})
    else:
        messages.success(
            request,
            _("Evidence kept (SHA-256 %(sha)s); it counts once the control's owner accepts it.")
            % {"sha": item.sha256[:16] + "…"},
        )
    return redirect("rulebook:control", code=code)


@require_POST
@permission_required("rulebook.view")
def evidence_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept pending evidence as the control's owner, confirming what it shows."""
    item = get_object_or_404(Evidence.objects.select_related("control"), pk=pk)
    form = AcceptEvidenceForm(request.POST, item=item, prefix=f"e{item.pk}")
    if not form.is_valid():
        messages.error(
            request, _("Acceptance needs a comment and at least one requirement it shows.")
        )
        return redirect("rulebook:control", code=item.control.code)
    try:
        accept_evidence(
            item,
            request.user,  # type: ignore[arg-type]
            form.cleaned_data["comment"],
            form.cleaned_data["requirements"],
        )
    except EvidenceRefused as refused:
        messages.error(request, _("Refused: %(reason)s") % {"reason": refused.message})
    else:
        messages.success(request, _("Evidence accepted."))
    return redirect("rulebook:control", code=item.control.code)


@require_POST
@permission_required("rulebook.view")
def evidence_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Reject pending evidence as the control's owner, with the reason."""
    item = get_object_or_404(Evidence.objects.select_related("control"), pk=pk)
    form = RejectEvidenceForm(request.POST, prefix=f"e{item.pk}")
    if not form.is_valid():
        messages.error(request, _("A rejection needs a reason."))
        return redirect("rulebook:control", code=item.control.code)
    try:
        reject_evidence(item, request.user, form.cleaned_data["reason"])  # type: ignore[arg-type]
    except EvidenceRefused as refused:
        messages.error(request, _("Refused: %(reason)s") % {"reason": refused.message})
    else:
        messages.success(request, _("Evidence rejected."))
    return redirect("rulebook:control", code=item.control.code)


@permission_required("rulebook.view")
def evidence_download_view(request: HttpRequest, pk: int) -> FileResponse:
    """Download one evidence file; the download is recorded in the audit log."""
    item = get_object_or_404(Evidence, pk=pk)
    path = evidence_path(item.sha256)
    if not path.exists():
        raise Http404("the evidence file is missing from the data directory")
    record_export(
        "rulebook.evidence",
        item.sha256,
        {"evidence": item.pk, "control": item.control.code},
        object_id=str(item.pk),
    )
    return FileResponse(
        open(path, "rb"),
        as_attachment=True,
        filename=item.filename,
        content_type=item.content_type,
    )
