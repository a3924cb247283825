"""The approval history as a list (:mod:`mamori.core.tables`): every request the viewer may
see, paged, sortable, filtered by state and kind, searched by title and requester (SRM 8-5)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mamori.accounts import approval_display
from mamori.accounts.models import ApprovalRequest
from mamori.core.tables import ListFilter, ListTable

__all__ = ["ApprovalFilter", "ApprovalTable"]


def _kinds() -> list[tuple[str, str]]:
    """The kinds of request there are, each once."""
    found = ApprovalRequest.objects.order_by("kind").values_list("kind", flat=True).distinct()
    return [(kind, kind) for kind in found]


class ApprovalFilter(ListFilter):
    """Filter requests by state and kind; search their titles and the requester's names."""

    search_fields: ClassVar[tuple[str, ...]] = (
        "title",
        "requester__username",
        "requester__first_name",
        "requester__last_name",
    )
    status = django_filters.ChoiceFilter(
        choices=ApprovalRequest.Status.choices, label=_("State"), empty_label=_("All states")
    )
    kind = django_filters.ChoiceFilter(choices=_kinds, label=_("Kind"))


class ApprovalTable(ListTable):
    """Number, request (in the viewer's language) and kind, requester, opened, expires, state."""

    filter_class = ApprovalFilter
    export = "accounts.approvals"

    pk = tables.Column(
        verbose_name="#",
        order_by=("pk",),
        linkify=lambda record: reverse("accounts:approval", args=[record.pk]),
    )
    title = tables.Column(verbose_name=_("Request"), accessor="pk", order_by=("title",))
    requester = tables.Column(
        verbose_name=_("Requested by"),
        order_by=("requester__username",),
        empty_values=(),
        attrs={"td": {"class": "person"}},
    )
    created_at = tables.DateTimeColumn(verbose_name=_("Opened"), format="Y-m-d H:i")
    expires_at = tables.DateTimeColumn(verbose_name=_("Expires"), format="Y-m-d H:i")
    status = tables.Column(verbose_name=_("State"))

    class Meta(ListTable.Meta):
        attrs: ClassVar[dict[str, str]] = {"class": "list approvals", "id": "approvals"}
        order_by = ("-created_at",)

    def render_title(self, record: ApprovalRequest) -> Any:
        """What the request asks for, linked, with its kind."""
        return format_html(
            '<a href="{}">{}</a><br><span class="muted">{}</span>',
            reverse("accounts:approval", args=[record.pk]),
            approval_display.title_of(record),
            record.kind,
        )

    def value_title(self, record: ApprovalRequest) -> str:
        """What the request asks for."""
        return approval_display.title_of(record)

    def render_requester(self, record: ApprovalRequest) -> Any:
        """The person (or API token) that asked."""
        return str(record.requester or record.requester_token or "—")

    def value_requester(self, record: ApprovalRequest) -> str:
        """The person (or API token) that asked."""
        return str(record.requester or record.requester_token or "")

    def render_status(self, record: ApprovalRequest) -> Any:
        """The state, coloured."""
        return format_html(
            '<span class="state-{}">{}</span>', record.status, record.get_status_display()
        )

    def value_status(self, record: ApprovalRequest) -> str:
        """The state as text."""
        return str(record.get_status_display())


def approval_rows(visible: Any) -> QuerySet[ApprovalRequest]:
    """The requests matching ``visible`` (a ``Q``), with what their rows show."""
    return (
        ApprovalRequest.objects.filter(visible)
        .distinct()
        .select_related("requester", "requester_token", "policy")
    )
