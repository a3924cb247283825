"""The risk register with its heat maps, filters, Excel import/export and new scenarios
(ISM 14–16)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.auditlog.services import record_export
from mamori.core.numbers import record_number
from mamori.core.tables import listing
from mamori.engines.risk import Rating
from mamori.risk import forms
from mamori.risk.lists import RegisterTable, RiskRow
from mamori.risk.models import Assessment, RiskMatrix
from mamori.risk.models.scenarios import STAGES
from mamori.risk.services import RiskRefused, criteria, scenarios, workbook

__all__ = [
    "assessment_complete_view",
    "assessment_new_view",
    "export_view",
    "import_view",
    "register_view",
    "scenario_new_view",
]


def _assessment(request: HttpRequest) -> Assessment | None:
    chosen = record_number(request.GET.get("assessment"))
    found = Assessment.objects.select_related("matrix", "lead")
    if chosen is not None:
        return found.filter(pk=chosen).first()
    return Assessment.newest()


@permission_required("risk.view")
def register_view(request: HttpRequest) -> HttpResponse:
    """Show the heat maps and the ranked register of one assessment."""
    assessment = _assessment(request)
    stage = request.GET.get("stage", "current")
    if stage not in STAGES:
        stage = "current"
    context: dict[str, Any] = {
        "assessment": assessment,
        "assessments": Assessment.objects.all(),
        "stage": stage,
        "can_manage": has_permission(request.user, "risk.manage"),
        "assessment_form": forms.AssessmentForm(),
        "import_form": forms.ImportForm(),
    }
    if assessment is not None:
        rows = [RiskRow(s, rank, stage) for s, rank in scenarios.ranking(assessment, stage)]
        risks = listing(request, rows, RegisterTable)
        if isinstance(risks, HttpResponse):
            return risks
        context.update(
            {
                "matrix": assessment.matrix.matrix(),
                "heat_maps": scenarios.heat_maps(assessment),
                "risks": risks,
            }
        )
    return render(request, "risk/register.html", context)


@require_POST
@permission_required("risk.manage")
def assessment_new_view(request: HttpRequest) -> HttpResponse:
    """Start an assessment under the newest version of the default criteria."""
    form = forms.AssessmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("An assessment needs a name."))
        return redirect("risk:register")
    matrix = RiskMatrix.objects.filter(code="default").order_by("-version").first()
    matrix = matrix or criteria.default_matrix()
    assessment = criteria.start_assessment(
        form.cleaned_data["name"],
        matrix,
        request.user,  # type: ignore[arg-type]
        form.cleaned_data["context_ja"],
        form.cleaned_data["context_en"],
    )
    messages.success(request, _("Assessment started under %(m)s.") % {"m": matrix})
    return redirect(f"/risk/?assessment={assessment.pk}")


@require_POST
@permission_required("risk.manage")
def assessment_complete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Close an assessment: its risks can no longer be added (ratings still move by
    monitoring and review)."""
    try:
        criteria.complete(get_object_or_404(Assessment, pk=pk))
    except RiskRefused as refused:
        messages.error(request, _("Refused: %(reason)s") % {"reason": refused.shown()})
    else:
        messages.success(request, _("Assessment completed."))
    return redirect(f"/risk/?assessment={pk}")


@permission_required("risk.manage")
def scenario_new_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Analyse a new risk in an assessment."""
    assessment = get_object_or_404(Assessment.objects.select_related("matrix"), pk=pk)
    form = forms.ScenarioForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        draft = scenarios.ScenarioInput(
            code=data["code"],
            name_ja=data["name_ja"],
            name_en=data["name_en"],
            threat=data["threat"],
            assets=list(data["assets"]),
            owner=data["owner"],
            approach=data["approach"],
            approach_note=data["approach_note"],
            inherent=Rating(data["inherent_likelihood"], data["inherent_impact"]),
            current=Rating(data["current_likelihood"], data["current_impact"]),
            vulnerabilities=list(data["vulnerabilities"]),
            incidents=list(data["incidents"]),
            baseline_controls=list(data["baseline_controls"]),
            threat_level=data["threat_level"],
            requirement=data["requirement"],
        )
        try:
            scenario = scenarios.create(assessment, draft, request.user)  # type: ignore[arg-type]
        except RiskRefused as refused:
            form.add_error(None, refused.shown())
        else:
            messages.success(request, _("Risk %(code)s analysed.") % {"code": scenario.code})
            return redirect("risk:scenario", pk=scenario.pk)
    return render(request, "risk/scenario_new.html", {"assessment": assessment, "form": form})


@permission_required("risk.view")
def export_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the inventory and the register as Excel (recorded in the audit log)."""
    assessment = get_object_or_404(Assessment, pk=pk)
    body = workbook.export(assessment)
    record_export(
        "risk.register",
        hashlib.sha256(body).hexdigest(),
        {"format": "xlsx"},
        object_id=str(assessment.pk),
    )
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="risk-register-{pk}.xlsx"'
    return response


@require_POST
@permission_required("risk.manage")
def import_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Import assets and scenarios from Excel, all or nothing, listing every bad row."""
    assessment = get_object_or_404(Assessment.objects.select_related("matrix"), pk=pk)
    form = forms.ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an .xlsx workbook."))
        return redirect(f"/risk/?assessment={pk}")
    try:
        counts = workbook.import_workbook(
            form.cleaned_data["file"].read(),
            assessment,
            request.user,  # type: ignore[arg-type]
        )
    except workbook.ImportRefused as refused:
        return render(
            request,
            "risk/import_refused.html",
            {"assessment": assessment, "problems": refused.problems},
            status=422,
        )
    messages.success(
        request,
        _("Imported %(a)s assets and %(s)s new scenarios; %(r)s ratings changed.")
        % {"a": counts["assets"], "s": counts["scenarios"], "r": counts["ratings_changed"]},
    )
    return redirect(f"/risk/?assessment={pk}")
