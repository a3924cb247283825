"""Read-only pages of a person, a role assignment and an access review's outcomes, each with
its History from the audit log (SRM 5–7, ISM 7–9, ISM 23-1-1/3)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from mamori.accounts.lists import ReviewItemsTable
from mamori.accounts.models import AccessReview, AccessReviewItem, RoleAssignment, User
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.tables import downloaded, listing


@permission_required("accounts.view")
def person_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one person: department, manager, the roles held now and before, and History."""
    person = get_object_or_404(User.objects.select_related("department", "manager"), pk=pk)
    held = RoleAssignment.objects.filter(user=person).select_related("role", "department")
    return render(
        request,
        "accounts/person_record.html",
        {
            "person": person,
            "held": held.order_by("revoked_at", "granted_at"),
            "may_manage": has_permission(request.user, "accounts.manage_people"),
        },
    )


@permission_required("accounts.view")
def assignment_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one role assignment: who holds which role where, granted and revoked when, by
    whom, and its History."""
    held = get_object_or_404(
        RoleAssignment.objects.select_related("user", "role", "department", "granted_by"), pk=pk
    )
    return render(request, "accounts/assignment.html", {"held": held})


@permission_required("accounts.view")
def review_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an access review's outcomes — each person's roles, the reviewer, the decision and
    the comment — filtered and downloadable as CSV or Excel (recorded in the audit log)."""
    review = get_object_or_404(AccessReview, pk=pk)
    rows = AccessReviewItem.objects.filter(review=review).select_related("person", "reviewer")
    found = listing(request, rows.order_by("person__username"), ReviewItemsTable)
    if answer := downloaded(found):
        return answer
    return render(request, "accounts/review.html", {"review": review, "items": found})
