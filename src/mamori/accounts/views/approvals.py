"""Approval pages: waiting for me, history, one request with its snapshot, policies."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mamori.accounts import approval_display
from mamori.accounts.approval_lists import ApprovalTable, approval_rows
from mamori.accounts.models import ApprovalPolicy, ApprovalRequest, Role, User
from mamori.accounts.services import approvals
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required, signed_in_required
from mamori.core.errors import Refused
from mamori.core.tables import listing


def _visible(user: User) -> Q:
    if has_permission(user, "approvals.view_all"):
        return Q()
    return Q(requester=user) | Q(decisions__approver=user)


@signed_in_required
def inbox_view(request: HttpRequest) -> HttpResponse:
    """List the pending requests the person may decide now, and their own open requests."""
    assert isinstance(request.user, User)
    mine = ApprovalRequest.objects.filter(status="pending", requester=request.user)
    return render(
        request,
        "accounts/approvals_inbox.html",
        {"waiting": approvals.waiting_for(request.user), "mine": mine},
    )


@signed_in_required
def history_view(request: HttpRequest) -> HttpResponse:
    """List every request the person may see, newest first: paged, sortable, filtered by
    state and kind, searched by title and requester, downloadable."""
    assert isinstance(request.user, User)
    found = listing(request, approval_rows(_visible(request.user)), ApprovalTable)
    if isinstance(found, HttpResponse):
        return found
    return render(request, "accounts/approvals_history.html", {"approvals": found})


@signed_in_required
@require_http_methods(["GET", "POST"])
def detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one request: what exactly is approved, who decided, and the decision form."""
    assert isinstance(request.user, User)
    item = get_object_or_404(ApprovalRequest.objects.select_related("policy", "requester"), pk=pk)
    may_see = (
        has_permission(request.user, "approvals.view_all")
        or item.requester_id == request.user.pk
        or approvals.may_decide(item, request.user) is None
        or item.decisions.filter(approver=request.user).exists()
    )
    if not may_see:
        raise PermissionDenied
    if request.method == "POST":
        try:
            approvals.decide(
                item.pk,
                request.user,
                request.POST.get("verdict", ""),
                request.POST.get("reason", ""),
            )
        except Refused as exc:  # the policy's, or the acting module's (a stale proposal)
            messages.error(request, _("Refused: %(reason)s") % {"reason": exc.shown()})
        else:
            messages.success(request, _("Your decision is recorded."))
        return redirect("accounts:approval", pk=item.pk)
    refusal = approvals.may_decide(item, request.user)
    outcome = approvals.outcome(item)
    names = {role.code: role.name for role in Role.objects.all()}
    stages = [
        {
            **stage,
            "count": outcome.approvals_per_stage[index],
            "role_names": [names.get(code, code) for code in stage.get("roles", [])],
        }
        for index, stage in enumerate(item.policy_definition["stages"])
    ]
    decisions = list(item.decisions.select_related("approver"))
    for decision in decisions:
        decision.role_names = [names.get(code, code) for code in decision.roles]  # type: ignore[attr-defined]

    return render(
        request,
        "accounts/approval_detail.html",
        {
            "item": item,
            "snapshot": json.dumps(item.snapshot, ensure_ascii=False, indent=2, sort_keys=True),
            "stages": stages,
            "decisions": decisions,
            "shown": approval_display.rendered(item, request),
            "links": approval_display.links_of(item),
            "refusal": refusal,
            "refusal_shown": approvals.shown(refusal) if refusal else "",
            "can_reject": approvals.may_decide(item, request.user, "reject") is None,
        },
    )


@permission_required("approvals.view_all")
def policies_view(request: HttpRequest) -> HttpResponse:
    """List approval policies and their stages."""
    return render(
        request,
        "accounts/approval_policies.html",
        {
            "policies": ApprovalPolicy.objects.all(),
            "can_propose": has_permission(request.user, "approvals.propose_policy"),
        },
    )


@permission_required("approvals.propose_policy")
@require_POST
def propose_policy_view(request: HttpRequest, code: str) -> HttpResponse:
    """Propose a new definition for a policy; it applies only once approved."""
    assert isinstance(request.user, User)
    policy = get_object_or_404(ApprovalPolicy, code=code)
    try:
        definition = json.loads(request.POST.get("definition", ""))
        if not isinstance(definition, dict):
            raise ValueError("a JSON object is expected")
        item = approvals.propose_policy_change(policy, definition, request.user)
    except ValueError as exc:
        messages.error(request, _("Refused: %(reason)s") % {"reason": str(exc)})
        return redirect("accounts:approval_policies")
    except approvals.ApprovalRefused as exc:
        messages.error(request, _("Refused: %(reason)s") % {"reason": exc.message})
        return redirect("accounts:approval_policies")
    messages.success(request, _("The change is waiting for approval."))
    return redirect("accounts:approval", pk=item.pk)
