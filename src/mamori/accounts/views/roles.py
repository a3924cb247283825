"""Role assignment, segregation report and access reviews (SRM 8-5, ISM 23-1-1/3)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from mamori.accounts import lists
from mamori.accounts.models import (
    AccessReviewItem,
    ApprovalRequest,
    Department,
    Role,
    RoleAssignment,
    SegregationRule,
    User,
)
from mamori.accounts.services import roles
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required, signed_in_required
from mamori.core.errors import Refused
from mamori.core.tables import listing


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A person shown with their user name, so two people of one name are told apart."""

    def label_from_instance(self, obj: User) -> str:
        """Return "display name (user name)"."""
        return f"{obj.display_name} ({obj.username})" if obj.display_name else obj.username


class AssignForm(forms.Form):
    """Grant a role to a person, company-wide or for a department."""

    user = PersonChoiceField(
        label=gettext_lazy("Person"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
    )
    role = forms.ModelChoiceField(label=gettext_lazy("Role"), queryset=Role.objects.all())
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"), queryset=Department.objects.all(), required=False
    )


@permission_required("accounts.view")
@require_http_methods(["GET", "POST"])
def assignments_view(request: HttpRequest) -> HttpResponse:
    """List who holds which role (and the history); grant roles if permitted."""
    may_assign = has_permission(request.user, "accounts.assign_roles")
    form = AssignForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not may_assign:
            raise PermissionDenied
        if form.is_valid():
            actor = request.user if isinstance(request.user, User) else None
            try:
                result = roles.assign(
                    form.cleaned_data["user"],
                    form.cleaned_data["role"],
                    form.cleaned_data["department"],
                    actor,
                )
            except Refused as refused:  # segregation, a grant to oneself, approvals' refusals
                form.add_error(None, refused.shown())
                status = 400
            else:
                if isinstance(result, ApprovalRequest):
                    messages.success(request, _("This role needs approval: request sent."))
                    return redirect("accounts:approval", pk=result.pk)
                messages.success(request, _("Role granted."))
                return redirect("accounts:assignments")
        else:
            status = 400
    rows = RoleAssignment.objects.select_related("user", "role", "department", "granted_by")
    history = listing(request, lists.history_rows(), lists.AssignmentHistoryTable)
    if isinstance(history, HttpResponse):
        return history
    return render(
        request,
        "accounts/assignments.html",
        {
            "form": form,
            "may_assign": may_assign,
            "active": rows.filter(revoked_at__isnull=True).order_by("user__username"),
            "history": history,
        },
        status=status,
    )


@permission_required("accounts.assign_roles")
@require_POST
def revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """End a role assignment."""
    assignment = get_object_or_404(RoleAssignment, pk=pk)
    pending = roles.revoke(assignment, request.user if isinstance(request.user, User) else None)
    if isinstance(pending, ApprovalRequest):
        messages.success(request, _("This role needs approval: request sent."))
        return redirect("accounts:approval", pk=pending.pk)
    messages.success(request, _("Role revoked."))
    return redirect("accounts:assignments")


@permission_required("accounts.view_sod_report")
def segregation_view(request: HttpRequest) -> HttpResponse:
    """Show the segregation rules and every existing breach."""
    return render(
        request,
        "accounts/segregation.html",
        {
            "rules": SegregationRule.objects.select_related("role_a", "role_b"),
            "breaches": [roles.explain(breach) for breach in roles.conflicts()],
        },
    )


@signed_in_required
def reviews_view(request: HttpRequest) -> HttpResponse:
    """List access reviews and the items waiting for this person."""
    reviews = listing(request, lists.review_rows(), lists.ReviewTable)
    if isinstance(reviews, HttpResponse):
        return reviews
    return render(
        request,
        "accounts/reviews.html",
        {
            "reviews": reviews,
            "todo": AccessReviewItem.objects.filter(
                reviewer_id=request.user.pk, outcome="pending"
            ).select_related("person", "review"),
            "may_open": has_permission(request.user, "accounts.assign_roles"),
        },
    )


@permission_required("accounts.assign_roles")
@require_POST
def open_review_view(request: HttpRequest) -> HttpResponse:
    """Open a new access review now."""
    roles.open_access_review()
    messages.success(request, _("Access review opened."))
    return redirect("accounts:reviews")


@signed_in_required
@require_POST
def decide_review_item_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a person's roles, or flag that they need changing; only their reviewer may."""
    item = get_object_or_404(AccessReviewItem, pk=pk)
    if item.reviewer_id != request.user.pk:
        raise PermissionDenied
    outcome = request.POST.get("outcome", "")
    comment = request.POST.get("comment", "").strip()
    if outcome not in ("confirmed", "change_needed") or (
        outcome == "change_needed" and not comment
    ):
        messages.error(request, _("Choose confirm, or say what must change."))
        return redirect("accounts:reviews")
    review = roles.decide_review_item(item, outcome, comment)
    if review.closed_at is not None:
        messages.success(request, _("Every item is decided: the access review is complete."))
    return redirect("accounts:reviews")
