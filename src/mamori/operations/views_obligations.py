"""Pages of reporting obligations (SRM 6-1-3, 7-3; ISM 8-1-3, 9-3): the open reports of every
incident soonest first, one incident's reports with their countdowns, marking one sent or
waived, its text edited and exported (PDF, Word), and the rules kept as data."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.paging import paged
from mamori.operations.forms_obligations import DraftForm, RuleForm, SentForm, WaiveForm
from mamori.operations.models import Incident, Obligation, ObligationRule
from mamori.operations.services import obligation_reports as reports
from mamori.operations.services import obligations

__all__ = [
    "draft_view",
    "export_view",
    "incident_obligations_view",
    "obligations_view",
    "panel_context",
    "rule_edit_view",
    "rules_view",
    "sent_view",
    "waive_view",
]


def panel_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    """Return the context of ``operations/_obligations_panel.html`` for ``incident`` (the
    incident page's "Obligations" panel)."""
    now = timezone.now()
    rows = [
        (
            o,
            SentForm(auto_id=f"id_%s_{o.pk}", initial={"sent_at": timezone.localtime(now)}),
            WaiveForm(auto_id=f"id_%s_{o.pk}"),
        )
        for o in Obligation.objects.filter(incident=incident).select_related("sent_by", "waived_by")
    ]
    return {
        "incident": incident,
        "rows": rows,
        "now": now,
        "can_manage": has_permission(request.user, "incidents.manage"),
    }


@permission_required("incidents.view")
def obligations_view(request: HttpRequest) -> HttpResponse:
    """Every report still to be sent, soonest due first, with its countdown."""
    return render(
        request,
        "operations/obligations.html",
        {
            "page": paged(request, obligations.open_obligations()),
            "now": timezone.now(),
            "can_manage": has_permission(request.user, "incidents.manage"),
        },
    )


@permission_required("incidents.view")
def incident_obligations_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One incident's reports: due times, countdowns, who sent each and when."""
    incident = get_object_or_404(Incident, pk=pk)
    return render(request, "operations/obligations_incident.html", panel_context(request, incident))


def _back(obligation: Obligation) -> HttpResponse:
    return redirect("operations_obligations:incident", pk=obligation.incident_id)


@permission_required("incidents.manage")
@require_POST
def sent_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a report sent: who sent it and when are required."""
    obligation = get_object_or_404(Obligation, pk=pk)
    form = SentForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("The report could not be marked sent: %(errors)s")
            % {"errors": "; ".join(str(e) for errors in form.errors.values() for e in errors)},
        )
        return _back(obligation)
    data = form.cleaned_data
    try:
        obligations.mark_sent(
            obligation,
            data.get("sent_by"),
            data.get("sent_at"),
            request.user,  # type: ignore[arg-type]
            channel=data.get("channel") or "",
            reference=data.get("reference") or "",
        )
    except obligations.ObligationRefused as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("Marked sent: %(report)s") % {"report": obligation.name})
    return _back(obligation)


@permission_required("incidents.manage")
@require_POST
def waive_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Waive a report with a reason."""
    obligation = get_object_or_404(Obligation, pk=pk)
    try:
        obligations.waive(obligation, request.POST.get("reason", ""), request.user)  # type: ignore[arg-type]
    except obligations.ObligationRefused as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("Waived: %(report)s") % {"report": obligation.name})
    return _back(obligation)


@permission_required("incidents.manage")
def draft_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the report's text before it is sent (drafted from the incident's fields)."""
    obligation = get_object_or_404(Obligation.objects.select_related("incident"), pk=pk)
    form = DraftForm(request.POST or None, initial={"text": reports.report_text(obligation)})
    if request.method == "POST" and form.is_valid():
        try:
            obligations.save_draft(obligation, form.cleaned_data["text"], request.user)  # type: ignore[arg-type]
        except obligations.ObligationRefused as refused:
            form.add_error(None, refused.shown())
        else:
            messages.success(request, _("Report text saved."))
            return _back(obligation)
    return render(
        request,
        "operations/obligation_draft.html",
        {"form": form, "obligation": obligation},
    )


@permission_required("incidents.view")
def export_view(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The report as PDF or Word (recorded in the audit log as an export)."""
    obligation = get_object_or_404(Obligation.objects.select_related("incident"), pk=pk)
    if fmt not in ("pdf", "docx"):
        raise Http404("no such format")
    name = f"{obligation.incident.reference}-{obligation.recipient}-{obligation.stage}"
    if fmt == "pdf":
        body, content_type = reports.pdf_bytes(obligation), "application/pdf"
    else:
        body = reports.docx_bytes(obligation)
        content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@permission_required("incidents.view")
def rules_view(request: HttpRequest) -> HttpResponse:
    """The reporting rules: who must be told of which incidents by when."""
    page = paged(request, ObligationRule.objects.all())
    kinds = dict(Incident.Kind.choices)
    for rule in page:
        rule.kind_labels = [str(kinds.get(k, k)) for k in rule.kinds]
    return render(
        request,
        "operations/obligation_rules.html",
        {"page": page, "can_manage": has_permission(request.user, "incidents.manage")},
    )


@permission_required("incidents.manage")
def rule_edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add or change a reporting rule; open incidents are re-evaluated by the catch-up job."""
    rule = get_object_or_404(ObligationRule, pk=pk) if pk else None
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(
            request,
            _("Rule saved: %(name)s. Open incidents follow it within minutes.")
            % {"name": saved.name},
        )
        return redirect("operations_obligations:rules")
    return render(
        request,
        "operations/obligation_rule_form.html",
        {"form": form, "rule": rule},
    )
