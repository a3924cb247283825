"""Pages of changes (SRM 8-3, 11-3..5, 17, 20, 22): the list with progress and slippage, a new
change, a change with its stages, approvals, participants, acceptance inspection and history,
and its post-change review."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.approvals import ApprovalRefused
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required, signed_in_required
from mamori.core.errors import Refused
from mamori.core.tables import downloaded, listing
from mamori.operations.forms_changes import ChangeForm, InspectionForm, ReviewSignForm
from mamori.operations.lists_changes import ChangeTable
from mamori.operations.models import Change, PostChangeReview, StageApproval, StageRule
from mamori.operations.services import change_reviews, changes


def _change(reference: str) -> Change:
    return get_object_or_404(Change.objects.select_related("responsible"), reference=reference)


@permission_required("changes.view")
def changes_view(request: HttpRequest) -> HttpResponse:
    """Every change with the stage reached, the next planned date and the days late."""
    found = listing(
        request,
        Change.objects.select_related("responsible").prefetch_related("systems", "stage_plans"),
        ChangeTable,
    )
    if download := downloaded(found):
        return download
    return render(
        request,
        "operations/changes/changes.html",
        {
            "changes": found,
            "can_manage": has_permission(request.user, "changes.manage"),
            "rules": [
                (rule, changes.stage_label(rule.stage))
                for rule in StageRule.objects.filter(needs_approval=True)
            ],
            "setting": changes.setting(),
        },
    )


@permission_required("changes.manage")
def change_add_view(request: HttpRequest) -> HttpResponse:
    """Open a change with its planned dates (SRM 11-4) and participants (SRM 8-3)."""
    form = ChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = changes.create(
                request.user,  # type: ignore[arg-type]
                title=data["title"],
                description=data["description"],
                kind=data["kind"],
                category=data["category"],
                responsible=data["responsible"],
                systems=list(data["systems"]),
                planned=form.planned(),
                user_participant=data["user_participant"],
                risk_participant=data["risk_participant"],
            )
        except Refused as refused:
            form.add_error(None, refused.shown())
        else:
            messages.success(request, _("Change %(ref)s opened.") % {"ref": change.reference})
            return redirect("operations:change", reference=change.reference)
    return render(request, "operations/changes/change_form.html", {"form": form})


@permission_required("changes.view")
def change_view(request: HttpRequest, reference: str) -> HttpResponse:
    """A change: progress per stage, the approvals its rules ask for, participants, the
    acceptance inspection, the post-change review and its history."""
    change = _change(reference)
    rules = {r.stage: r for r in StageRule.objects.filter(kind=change.kind, needs_approval=True)}
    stages = []
    for row in changes.progress(change):
        asked = change.stage_approvals.filter(stage=row["stage"]).select_related("approval")
        rule = rules.get(row["stage"])
        open_or_given = [
            a
            for a in asked
            if a.status != StageApproval.Status.REJECTED
            and a.approval.status not in ("rejected", "expired")
        ]
        stages.append(
            {
                **row,
                "rule": rule,
                "approvals": list(asked),
                "askable": rule is not None and not open_or_given,
            }
        )
    position = (
        changes.FLOW.index(Change.Stage(change.stage)) if change.stage in changes.FLOW else -1
    )
    next_stage = changes.FLOW[position + 1] if 0 <= position < len(changes.FLOW) - 1 else None
    return render(
        request,
        "operations/changes/change.html",
        {
            "change": change,
            "stages": stages,
            "next_stage": next_stage,
            "next_label": changes.stage_label(next_stage) if next_stage else "",
            "stage_label": changes.stage_label(change.stage),
            "slippage": changes.slippage_days(change),
            "blockers": changes.approval_blockers(change),
            "participants": change.participants.select_related("person"),
            "inspections": change.inspections.select_related("decided_by"),
            "review": PostChangeReview.objects.filter(change=change).first(),
            "can_manage": has_permission(request.user, "changes.manage"),
            "can_jump": change.kind == Change.Kind.EMERGENCY
            and 0 <= position < changes.FLOW.index(Change.Stage.RELEASE) - 1,
            "inspection_form": InspectionForm(),
            "findings": change.findings.all(),
            "cancellable": change.stage in changes.CANCELLABLE
            and (
                request.user.pk == change.responsible_id
                or has_permission(request.user, "systems.manage")
            ),
        },
    )


@require_POST
@permission_required("changes.manage")
def change_act_view(request: HttpRequest, reference: str, what: str) -> HttpResponse:
    """Advance the change, release an emergency change, ask for a stage approval, record the
    acceptance inspection, cancel the change."""
    change = _change(reference)
    user = request.user
    try:
        if what == "advance":
            change = changes.advance(change, user)  # type: ignore[arg-type]
            messages.success(
                request, _("Now at %(stage)s.") % {"stage": changes.stage_label(change.stage)}
            )
        elif what == "release":
            changes.advance(change, user, to=Change.Stage.RELEASE)  # type: ignore[arg-type]
            messages.success(request, _("Released; its approvals are due after the fact."))
        elif what == "approval":
            asked = changes.request_approval(change, request.POST.get("stage", ""), user)  # type: ignore[arg-type]
            messages.success(
                request, _("Sent for approval (request %(id)s).") % {"id": asked.approval_id}
            )
        elif what == "inspection":
            form = InspectionForm(request.POST)
            if not form.is_valid():
                raise changes.ChangeRefused(
                    "bad_inspection", _("Give the digest, the tests run and the decision.")
                )
            changes.inspect(change, user, **form.cleaned_data)  # type: ignore[arg-type]
            messages.success(request, _("Acceptance inspection recorded."))
        elif what == "cancel":
            changes.cancel(change, user, request.POST.get("reason", ""))  # type: ignore[arg-type]
            messages.success(request, _("%(ref)s is cancelled.") % {"ref": change.reference})
        else:
            raise Http404("no such action")
    except (Refused, ApprovalRefused) as refused:
        messages.error(request, refused.shown())
    return redirect("operations:change", reference=change.reference)


@signed_in_required
def change_sign_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Sign as the user-department or risk-management participant named (SRM 8-3): a
    participant needs no other permission than being named on the change."""
    change = _change(reference)
    mine = change.participants.filter(person=request.user.pk)
    if not mine.exists():
        raise PermissionDenied("not a participant")
    if request.method == "POST":
        try:
            changes.sign_participation(change, request.user)  # type: ignore[arg-type]
        except Refused as refused:
            messages.error(request, refused.shown())
        else:
            messages.success(request, _("Signed."))
        back = "operations:change" if has_permission(request.user, "changes.view") else None
        return redirect(back or "operations:change_sign", reference=change.reference)
    return render(
        request,
        "operations/changes/sign.html",
        {
            "change": change,
            "mine": mine,
            "stage_label": changes.stage_label(change.stage),
            "can_view": has_permission(request.user, "changes.view"),
        },
    )


@permission_required("changes.view")
def change_review_view(request: HttpRequest, reference: str) -> HttpResponse:
    """The post-change review (SRM 22): incidents and alerts on the touched systems since the
    release, the conclusion, the system managers' signatures."""
    change = _change(reference)
    review = PostChangeReview.objects.filter(change=change).first()
    if review is None:
        raise Http404("not released yet")
    form = ReviewSignForm(request.POST or None, initial={"conclusion": review.conclusion})
    if request.method == "POST" and form.is_valid():
        try:
            change_reviews.sign(review, request.user, form.cleaned_data["conclusion"])  # type: ignore[arg-type]
        except Refused as refused:
            form.add_error(None, refused.shown())
        else:
            messages.success(request, _("Signed."))
            return redirect("operations:change_review", reference=change.reference)
    return render(
        request,
        "operations/changes/review.html",
        {
            "change": change,
            "review": review,
            "incidents": change_reviews.incidents_since(change, review.released_at),
            "managers": change_reviews.managers(change),
            "form": form,
            "may_sign": request.user in change_reviews.managers(change),
        },
    )
