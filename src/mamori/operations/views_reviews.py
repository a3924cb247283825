"""Pages of the post-incident reviews and their follow-up actions (SRM 9, SRM 8-4)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.errors import Refused
from mamori.core.tables import downloaded, listing
from mamori.operations.forms_bcp import ActionForm, ReviewForm, RiskForm
from mamori.operations.lists_bcp import ActionTable
from mamori.operations.models import FollowUpAction, Incident, PostIncidentReview
from mamori.operations.services import reviews


@permission_required("incidents.view")
def review_view(request: HttpRequest, reference: str) -> HttpResponse:
    """An incident's review: texts, actions, risks, lesson; whether it is required to close."""
    incident = get_object_or_404(Incident.objects.select_related("commander"), reference=reference)
    review = (
        PostIncidentReview.objects.filter(incident=incident)
        .select_related("author", "approved_by", "lesson")
        .first()
    )
    actions = listing(
        request,
        FollowUpAction.objects.filter(review=review).select_related("owner", "review__incident"),
        ActionTable,
    )
    if download := downloaded(actions):
        return download
    return render(
        request,
        "operations/review.html",
        {
            "incident": incident,
            "review": review,
            "required": reviews.review_required(incident),
            "form": ReviewForm(instance=review),
            "action_form": ActionForm(),
            "risk_form": RiskForm(),
            "risks": review.risks.select_related("scenario") if review else [],
            "actions": actions,
            "can_manage": has_permission(request.user, "incidents.manage"),
        },
    )


@require_POST
@permission_required("incidents.manage")
def review_act_view(request: HttpRequest, reference: str, what: str) -> HttpResponse:
    """Save, submit or approve a review; add an action or a risk; share the lesson."""
    incident = get_object_or_404(Incident, reference=reference)
    user = request.user
    try:
        review = reviews.start(incident, user)  # type: ignore[arg-type]
        if what == "save":
            form = ReviewForm(request.POST, instance=review)
            if form.is_valid():
                reviews.save(review, form.cleaned_data, user)  # type: ignore[arg-type]
                messages.success(request, _("Review saved."))
        elif what == "submit":
            reviews.submit(review, user)  # type: ignore[arg-type]
        elif what == "approve":
            reviews.approve(review, user)  # type: ignore[arg-type]
        elif what == "action":
            action = ActionForm(request.POST)
            if not action.is_valid():
                raise reviews.ReviewRefused(
                    "bad_action", _("Give the action, its owner and due date.")
                )
            data = action.cleaned_data
            reviews.add_action(data["title"], data["owner"], data["due_on"], user, review=review)  # type: ignore[arg-type]
        elif what == "risk":
            risk = RiskForm(request.POST)
            if not risk.is_valid():
                raise reviews.ReviewRefused("bad_risk", _("Choose a risk and the change."))
            data = risk.cleaned_data
            reviews.link_risk(review, data["scenario"], data["change"], data["note"], user)  # type: ignore[arg-type]
        elif what == "lesson":
            reviews.share_lesson(review, user)  # type: ignore[arg-type]
        else:
            raise Http404("no such action")
    except Refused as refused:
        messages.error(request, refused.shown())
    return redirect("operations:review", reference=reference)


@permission_required("incidents.view")
def actions_view(request: HttpRequest) -> HttpResponse:
    """Every follow-up action of reviews and drills; overdue ones marked."""
    found = listing(
        request,
        FollowUpAction.objects.select_related("owner", "review__incident", "drill"),
        ActionTable,
    )
    if download := downloaded(found):
        return download
    return render(
        request,
        "operations/actions.html",
        {
            "actions": found,
            "overdue": reviews.overdue_actions().count(),
            "can_manage": has_permission(request.user, "incidents.manage"),
        },
    )


@require_POST
@permission_required("incidents.manage")
def action_done_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark an action done."""
    action = get_object_or_404(FollowUpAction, pk=pk)
    reviews.complete_action(action, request.user)  # type: ignore[arg-type]
    messages.success(request, _("Action marked done."))
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("operations:actions")


def review_panel_context(request: HttpRequest, incident: Incident) -> dict[str, object]:
    """What ``operations/_review_panel.html`` needs on an incident's page: whether a review is
    required, the review, and the drill the incident rehearses (for the panel registry)."""
    from mamori.operations.models import PlanDrill

    return {
        "incident": incident,
        "review_required": reviews.review_required(incident),
        "review": PostIncidentReview.objects.filter(incident=incident).first(),
        "plan_drill": PlanDrill.objects.filter(incident=incident).first(),
    }
