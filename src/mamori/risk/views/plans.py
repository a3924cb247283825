"""The security plan versions with their approvals, and the owners' sign-off (ISM 19, 20)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.models import User
from mamori.accounts.services.approvals import ApprovalRefused
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.risk import forms
from mamori.risk.models import Assessment, SecurityPlan
from mamori.risk.services import RiskRefused, documents, plans

__all__ = ["plan_pdf_view", "plan_submit_view", "plans_view", "signoff_view"]


@permission_required("risk.view")
def plans_view(request: HttpRequest) -> HttpResponse:
    """Show the plan versions of the newest assessment, their approval and sign-off state."""
    assessment = Assessment.newest()
    versions = []
    current = None
    preview = None
    problem = ""
    if assessment is not None:
        try:
            preview = plans.compile_snapshot(assessment)
        except RiskRefused as refused:
            problem = refused.shown()
        current = plans.current_plan(assessment)
        for plan in assessment.plans.select_related("author", "approval"):
            versions.append(
                {
                    "plan": plan,
                    "states": plans.owner_states(plan, preview) if plan == current else [],
                    "out_of_date": plans.out_of_date(plan, preview) if plan == current else False,
                }
            )
    return render(
        request,
        "risk/plans.html",
        {
            "assessment": assessment,
            "versions": versions,
            "current": current,
            "preview": preview,
            "problem": problem,
            "waiting": assessment.plans.filter(status=SecurityPlan.Status.SUBMITTED).first()
            if assessment
            else None,
            "can_manage": has_permission(request.user, "risk.manage"),
        },
    )


@require_POST
@permission_required("risk.manage")
def plan_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Compile a new plan version and send it to the committee and the board."""
    assessment = get_object_or_404(Assessment, pk=pk)
    try:
        plan = plans.submit(assessment, request.user)  # type: ignore[arg-type]
    except (RiskRefused, ApprovalRefused) as refused:
        reason = refused.shown() if isinstance(refused, RiskRefused) else refused.message
        messages.error(request, _("Refused: %(reason)s") % {"reason": reason})
        return redirect("risk:plans")
    messages.success(
        request,
        _("Plan version %(v)s sent to the committee and the board (approval #%(a)s).")
        % {"v": plan.version, "a": plan.approval_id},
    )
    return redirect("risk:plans")


@permission_required("risk.view")
def plan_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Download a plan version with its decisions and sign-offs as PDF."""
    plan = get_object_or_404(SecurityPlan.objects.select_related("assessment", "approval"), pk=pk)
    body = documents.plan_pdf(plan, translation.get_language() or "ja")
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="security-plan-v{plan.version}.pdf"'
    return response


@permission_required("risk.own")
def signoff_view(request: HttpRequest) -> HttpResponse:
    """Show the signed-in owner their residual risks under the current plan and let them
    sign off (ISM 20)."""
    user: User = request.user  # type: ignore[assignment]
    assessment = Assessment.newest()
    plan = plans.current_plan(assessment) if assessment else None
    form = forms.SignOffForm(request.POST or None)
    if request.method == "POST" and plan is not None and form.is_valid():
        try:
            plans.sign(plan, user, form.cleaned_data["explained_by"], form.cleaned_data["comment"])
        except RiskRefused as refused:
            messages.error(request, _("Refused: %(reason)s") % {"reason": refused.shown()})
        else:
            messages.success(request, _("Your sign-off is recorded."))
            return redirect("risk:signoff")
    mine = plans.owner_snapshot(plan.snapshot, user.username, plan.version) if plan else None
    state = None
    live = plans.live_snapshot(plan.assessment) if plan else None
    if plan is not None:
        states = plans.owner_states(plan, live)
        state = next((s for s in states if s.owner == user.username), None)
    return render(
        request,
        "risk/signoff.html",
        {
            "plan": plan,
            "mine": mine,
            "state": state,
            "form": form,
            "out_of_date": plans.out_of_date(plan, live) if plan else False,
        },
    )
