"""The information-asset inventory and the criteria and catalogues (ISM 13, 14-2, 21)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.models import User
from mamori.accounts.services.roles import has_company_wide, has_permission
from mamori.accounts.views.access import permission_required
from mamori.risk import forms
from mamori.risk.models import (
    ExternalIncident,
    InformationAsset,
    RiskMatrix,
    Threat,
    Vulnerability,
)
from mamori.risk.services import RiskRefused, criteria
from mamori.risk.services.inventory import departments_refused

__all__ = ["assets_view", "catalogue_add_view", "criteria_view", "matrix_save_view"]


@permission_required("risk.view")
def assets_view(request: HttpRequest) -> HttpResponse:
    """List the inventory (filter by location kind or data category) and add an asset."""
    can_manage = has_permission(request.user, "risk.manage")
    form = forms.AssetForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            messages.error(request, _("Your roles do not allow this."))
            return redirect("risk:assets")
        if form.is_valid():
            who = request.user if isinstance(request.user, User) else None
            for reason in departments_refused(who, None, form.cleaned_data):
                form.add_error("custodian", reason)
        if form.is_valid():
            asset = form.save()
            messages.success(request, _("Asset %(code)s added.") % {"code": asset.code})
            return redirect("risk:assets")
    assets = InformationAsset.objects.select_related("owner", "custodian", "held_in")
    place = request.GET.get("place", "")
    category = request.GET.get("category", "")
    if place:
        assets = assets.filter(location_kind=place)
    rows = [a for a in assets if not category or category in a.categories]
    return render(
        request,
        "risk/assets.html",
        {
            "assets": rows,
            "form": form,
            "can_manage": can_manage,
            "places": InformationAsset.Location.choices,
            "place": place,
            "category": category,
        },
    )


@permission_required("risk.view")
def asset_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one information asset (ISM 14-2): its value, owner, place, what it holds and what
    holds it, the risks naming it, and its History."""
    asset = get_object_or_404(
        InformationAsset.objects.select_related("owner", "custodian", "held_in"), pk=pk
    )
    return render(
        request,
        "risk/asset.html",
        {
            "asset": asset,
            "holds": asset.holds.all(),
            "scenarios": asset.scenarios.select_related("assessment").order_by("code"),
        },
    )


@permission_required("risk.view")
def criteria_view(request: HttpRequest) -> HttpResponse:
    """Show every criteria version with its grid, and the catalogues."""
    versions = []
    for row in RiskMatrix.objects.all():
        matrix = row.matrix()
        grid = [
            (matrix.likelihood[lk - 1], [matrix.level(lk, im) for im in range(1, 6)])
            for lk in range(len(matrix.likelihood), 0, -1)
        ]
        versions.append(
            {
                "row": row,
                "matrix": matrix,
                "grid": grid,
                "used": list(row.assessments.values_list("name", flat=True)),
                "json": json.dumps(row.data, ensure_ascii=False, indent=1),
            }
        )
    return render(
        request,
        "risk/criteria.html",
        {
            "versions": versions,
            "threats": Threat.objects.all(),
            "vulnerabilities": Vulnerability.objects.all(),
            "incidents": ExternalIncident.objects.all(),
            "can_manage": has_permission(request.user, "risk.manage"),
            "catalogue_form": forms.CatalogueForm(),
        },
    )


@require_POST
@permission_required("risk.manage")
def catalogue_add_view(request: HttpRequest, kind: str) -> HttpResponse:
    """Add a threat, a vulnerability or an incident at another firm to the catalogue."""
    form = forms.CatalogueForm(request.POST)
    if kind not in ("threat", "vulnerability", "incident") or not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        messages.error(request, _("Not saved: %(errors)s") % {"errors": errors or kind})
        return redirect("risk:criteria")
    data = form.cleaned_data
    names = {"code": data["code"], "name_ja": data["name_ja"], "name_en": data["name_en"]}
    taken = {
        "threat": Threat.objects.filter(code=data["code"]),
        "vulnerability": Vulnerability.objects.filter(code=data["code"]),
        "incident": ExternalIncident.objects.filter(code=data["code"]),
    }[kind]
    if taken.exists():
        messages.error(request, _("The code %(code)s is taken.") % {"code": data["code"]})
        return redirect("risk:criteria")
    if kind == "threat":
        Threat.objects.create(
            **names, description_ja=data["text_ja"], description_en=data["text_en"]
        )
    elif kind == "vulnerability":
        Vulnerability.objects.create(**names)
    elif not data["firm"] or not data["year"]:
        messages.error(request, _("An incident names the firm and the year."))
        return redirect("risk:criteria")
    else:
        ExternalIncident.objects.create(
            **names,
            firm=data["firm"],
            year=data["year"],
            summary_ja=data["text_ja"],
            summary_en=data["text_en"],
        )
    messages.success(request, _("Added %(code)s to the catalogue.") % {"code": data["code"]})
    return redirect("risk:criteria")


@require_POST
@permission_required("risk.manage")
def matrix_save_view(request: HttpRequest, pk: int, how: str) -> HttpResponse:
    """Edit a criteria version nobody uses, or save the change as the next version (the
    criteria every department shares: a role held company-wide, not for one department)."""
    row = get_object_or_404(RiskMatrix, pk=pk)
    if not has_company_wide(request.user, "risk.manage"):
        messages.error(
            request,
            _(
                "The risk criteria are the whole company's: a role held for one department "
                "cannot change them."
            ),
        )
        return redirect("risk:criteria")
    try:
        data = json.loads(request.POST.get("criteria", ""))
        if not isinstance(data, dict):
            raise ValueError("the criteria are a JSON object")
    except ValueError as error:
        messages.error(request, _("Refused: %(reason)s") % {"reason": f"not JSON: {error}"})
        return redirect("risk:criteria")
    try:
        if how == "edit":
            saved = criteria.edit_matrix(row, data, request.user)  # type: ignore[arg-type]
        else:
            saved = criteria.new_version(row.code, data, request.user)  # type: ignore[arg-type]
    except RiskRefused as refused:
        messages.error(request, _("Refused: %(reason)s") % {"reason": refused.shown()})
        return redirect("risk:criteria")
    messages.success(request, _("Criteria %(m)s saved.") % {"m": saved})
    return redirect("risk:criteria")
