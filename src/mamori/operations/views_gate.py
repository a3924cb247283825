"""Pages of the quality plans, the secure-coding standard, freeze windows, change findings and
a change's deploy gate (SRM 15, 16, 18, 19, 20)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.errors import Refused
from mamori.core.tables import downloaded, listing
from mamori.operations.forms_gate import (
    AskForm,
    CriterionForm,
    FreezeForm,
    OverrideForm,
    PerformanceForm,
    SecurityReviewForm,
    StandardForm,
)
from mamori.operations.lists_gate import (
    DecisionTable,
    FindingTable,
    FreezeTable,
    StandardTable,
    SystemQualityTable,
)
from mamori.operations.models import (
    Change,
    ChangeFinding,
    FreezeWindow,
    QualityCriterion,
    SecureCodingStandard,
    System,
)
from mamori.operations.services import gate, quality


def _may(request: HttpRequest, permission: str) -> bool:
    return has_permission(request.user, permission)


@permission_required("quality.view")
def quality_view(request: HttpRequest) -> HttpResponse:
    """Every system with the number of criteria its quality plan has."""
    found = listing(
        request,
        System.objects.select_related("quality_plan").prefetch_related("quality_plan__criteria"),
        SystemQualityTable,
    )
    if download := downloaded(found):
        return download
    return render(request, "operations/gate/quality.html", {"systems": found})


@permission_required("quality.view")
def quality_plan_view(request: HttpRequest, code: str) -> HttpResponse:
    """A system's quality plan: its criteria, and adding one (quality.manage)."""
    system = get_object_or_404(System, code=code)
    can_manage = _may(request, "quality.manage")
    form = CriterionForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("quality.manage")
        if form.is_valid():
            data = form.cleaned_data
            try:
                quality.add_criterion(
                    system,
                    data["metric"],
                    data["level"],
                    data["threshold"],
                    request.user,  # type: ignore[arg-type]
                )
            except Refused as refused:
                form.add_error(None, refused.shown())
            else:
                messages.success(request, _("Criterion saved."))
                return redirect("operations:quality_plan", code=system.code)
    plan = getattr(system, "quality_plan", None)
    return render(
        request,
        "operations/gate/quality_plan.html",
        {
            "system": system,
            "plan": plan,
            "criteria": plan.criteria.all() if plan is not None else [],
            "form": form,
            "can_manage": can_manage,
        },
    )


@require_POST
@permission_required("quality.manage")
def criterion_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove one criterion from its plan."""
    criterion = get_object_or_404(QualityCriterion.objects.select_related("plan__system"), pk=pk)
    code = criterion.plan.system.code
    quality.remove_criterion(criterion, request.user)  # type: ignore[arg-type]
    messages.success(request, _("Criterion removed."))
    return redirect("operations:quality_plan", code=code)


@permission_required("quality.view")
def secure_coding_view(request: HttpRequest) -> HttpResponse:
    """The secure-coding standard in force, its versions, and a new version (quality.manage)."""
    can_manage = _may(request, "quality.manage")
    current = quality.current_standard()
    initial = {"title": current.title, "text": current.text} if current else {}
    form = StandardForm(request.POST or None, initial=initial) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("quality.manage")
        if form.is_valid():
            try:
                version = quality.publish_standard(
                    form.cleaned_data["title"],
                    form.cleaned_data["text"],
                    request.user,  # type: ignore[arg-type]
                )
            except Refused as refused:
                form.add_error(None, refused.shown())
            else:
                messages.success(
                    request, _("Version %(number)s published.") % {"number": version.version}
                )
                return redirect("operations:secure_coding")
    found = listing(
        request, SecureCodingStandard.objects.select_related("published_by"), StandardTable
    )
    if download := downloaded(found):
        return download
    return render(
        request,
        "operations/gate/secure_coding.html",
        {"current": current, "versions": found, "form": form},
    )


@permission_required("quality.view")
def freezes_view(request: HttpRequest) -> HttpResponse:
    """The freeze windows, and adding one (quality.manage)."""
    can_manage = _may(request, "quality.manage")
    form = FreezeForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("quality.manage")
        if form.is_valid():
            data = form.cleaned_data
            try:
                quality.add_freeze(
                    data["starts_at"],
                    data["ends_at"],
                    data["reason"],
                    list(data["systems"]),
                    request.user,  # type: ignore[arg-type]
                    all_systems=data["all_systems"],
                )
            except Refused as refused:
                form.add_error(None, refused.shown())
            else:
                messages.success(request, _("Freeze window added."))
                return redirect("operations:freezes")
    found = listing(request, FreezeWindow.objects.prefetch_related("systems"), FreezeTable)
    if download := downloaded(found):
        return download
    return render(request, "operations/gate/freezes.html", {"windows": found, "form": form})


@permission_required("quality.view")
def findings_view(request: HttpRequest) -> HttpResponse:
    """The change findings: deployments without a go, late reviews, maintenance without
    notice; each resolved with a reason (quality.manage)."""
    found = listing(
        request, ChangeFinding.objects.select_related("change", "resolved_by"), FindingTable
    )
    if download := downloaded(found):
        return download
    return render(request, "operations/gate/findings.html", {"findings": found})


@require_POST
@permission_required("quality.manage")
def finding_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Resolve a finding with the reason given."""
    finding = get_object_or_404(ChangeFinding, pk=pk)
    try:
        gate.resolve_finding(finding, request.user, request.POST.get("resolution", ""))  # type: ignore[arg-type]
    except Refused as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("Finding resolved."))
    return redirect("operations:findings")


def _change(reference: str) -> Change:
    try:
        return gate.find_change(reference)
    except Refused:
        raise Http404("no such change") from None


@permission_required("quality.view")
def change_gate_view(request: HttpRequest, reference: str) -> HttpResponse:
    """A change's deploy gate: every answer with its reasons, asking the gate, attesting,
    a security review and an override request."""
    change = _change(reference)
    found = listing(
        request,
        change.gate_decisions.select_related("asked_by", "asked_by_token", "override"),
        DecisionTable,
    )
    if download := downloaded(found):
        return download
    standard = quality.current_standard()
    user = request.user
    return render(
        request,
        "operations/gate/change_gate.html",
        {
            "change": change,
            "decisions": found,
            "standard": standard,
            "attested": standard is not None
            and change.attestations.filter(standard=standard).exists(),
            "is_responsible": user.pk == change.responsible_id,
            "reviews": change.security_reviews.select_related("reviewed_by"),
            "can_ask": _may(request, "changes.gate"),
            "can_review": _may(request, "quality.review"),
            "ask_form": AskForm(),
            "override_form": OverrideForm(),
            "review_form": SecurityReviewForm(),
            "performance_form": PerformanceForm(),
            "can_measure": _may(request, "quality.manage"),
        },
    )


@require_POST
@permission_required("quality.view")
def change_gate_act_view(request: HttpRequest, reference: str, what: str) -> HttpResponse:
    """Ask the gate, attest to the standard, record a security review or ask for an override."""
    change = _change(reference)
    user = request.user
    needs = {
        "ask": "changes.gate",
        "override": "changes.gate",
        "review": "quality.review",
        "performance": "quality.manage",
    }
    if what not in (*needs, "attest"):
        raise Http404("no such action")
    if what in needs and not _may(request, needs[what]):
        raise PermissionDenied(needs[what])
    post = request.POST
    try:
        if what == "ask":
            decision = gate.decide(change, post.get("artifact_digest", ""), user, via="page")  # type: ignore[arg-type]
            messages.info(
                request,
                _("The gate answered %(outcome)s.") % {"outcome": decision.get_outcome_display()},
            )
        elif what == "attest":
            quality.attest(change, user, post.get("statement", ""))  # type: ignore[arg-type]
            messages.success(request, _("Attestation recorded."))
        elif what == "performance":
            quality.record_performance(
                change,
                post.get("artifact_digest", "").strip(),
                post.get("metric", "").strip(),
                post.get("value", ""),
                user,  # type: ignore[arg-type]
            )
            messages.success(request, _("Measurement recorded."))
        elif what == "review":
            quality.record_security_review(change, user, post.get("notes", ""))  # type: ignore[arg-type]
            messages.success(request, _("Security review recorded."))
        else:
            approval = gate.request_override(
                change,
                post.get("artifact_digest", ""),
                post.get("reason", ""),
                user,  # type: ignore[arg-type]
            )
            messages.success(
                request, _("Override sent for approval (request %(id)s).") % {"id": approval.pk}
            )
    except Refused as refused:
        messages.error(request, refused.shown())
    return redirect("operations:change_gate", reference=change.reference)
