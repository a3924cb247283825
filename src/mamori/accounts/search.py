"""What the global search finds in accounts: people (by user name or name, for those who may
read the people list) and approval requests (by number or title, only those the person may
open: every one with ``approvals.view_all``, otherwise their own and those they decided)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import ApprovalRequest, User
from mamori.core.search import Hit, Source, matching, register_source


def _people(user: User, text: str) -> QuerySet[User]:
    return User.objects.filter(
        matching(text, "username", "display_name", "first_name", "last_name"), is_active=True
    ).order_by("username")


def _person(person: User) -> Hit:
    url = reverse("accounts:people") + "?" + urlencode({"q": person.username})
    return Hit(person.username, person.display_name or person.get_full_name(), url)


def _approvals(user: User, text: str) -> QuerySet[ApprovalRequest]:
    from mamori.accounts.services.roles import has_permission

    condition = matching(text, "title", "kind")
    if text.lstrip("#").isdigit():
        condition |= Q(pk=int(text.lstrip("#")))
    rows = ApprovalRequest.objects.filter(condition)
    if not has_permission(user, "approvals.view_all"):
        rows = rows.filter(Q(requester_id=user.pk) | Q(decisions__approver_id=user.pk)).distinct()
    return rows.order_by("-created_at")


def _approval(request: ApprovalRequest) -> Hit:
    from mamori.accounts.approval_display import title_of

    return Hit(
        f"#{request.pk}",
        title_of(request),
        reverse("accounts:approval", args=[request.pk]),
        str(request.get_status_display()),
    )


def register() -> None:
    """Register people and approval requests with the search."""
    register_source(Source("people", _("People"), "accounts.view", _people, _person, order=60))
    register_source(
        Source("approvals", _("Approval requests"), "signed_in", _approvals, _approval, order=70)
    )
