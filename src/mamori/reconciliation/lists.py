"""The reconciliation lists: runs, discrepancy cases (:mod:`mamori.core.tables`)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.reconciliation.models import Case, Run

__all__ = ["CaseFilter", "CaseTable", "RunFilter", "RunTable"]


class RunFilter(ListFilter):
    """Filter runs by result, trigger and day; search their reasons."""

    search_fields: ClassVar[tuple[str, ...]] = ("reason", "trigger")
    status = django_filters.ChoiceFilter(choices=Run.Status.choices, label=_("Result"))
    since = django_filters.DateFilter(field_name="day", lookup_expr="gte", label=_("From"))
    until = django_filters.DateFilter(field_name="day", lookup_expr="lte", label=_("Until"))


class RunTable(ListTable):
    """Number, day, result, trigger, duration, reason."""

    filter_class = RunFilter
    export = "reconciliation.runs"

    pk = tables.Column(verbose_name="#", order_by=("pk",))
    day = tables.DateColumn(verbose_name=_("Day"), format="Y-m-d")
    status = tables.Column(verbose_name=_("Result"))
    trigger = tables.Column(verbose_name=_("Trigger"))
    duration_ms = tables.Column(verbose_name=_("Duration"), default="")
    reason = tables.Column(verbose_name=_("Reason"), orderable=False)

    class Meta(ListTable.Meta):
        order_by = ("-pk",)

    def render_pk(self, value: int) -> Any:
        """The run's number, linked to it."""
        return format_html(
            '<a href="{}">#{}</a>', reverse("reconciliation:run", args=[value]), value
        )

    def value_pk(self, value: int) -> int:
        """The run's number."""
        return value

    def render_status(self, record: Run) -> str:
        """The result in words."""
        return str(record.get_status_display())

    def value_status(self, record: Run) -> str:
        """The result."""
        return record.status

    def render_duration_ms(self, value: int) -> str:
        """The duration in milliseconds."""
        return f"{value} ms"

    def value_duration_ms(self, value: int) -> int:
        """The duration in milliseconds."""
        return value

    def render_reason(self, value: str) -> Any:
        """The reason, its first 160 characters."""
        return format_html("<small>{}</small>", Truncator(value).chars(160))

    def value_reason(self, value: str) -> str:
        """The whole reason."""
        return value


OPEN_OR_CLOSED = (("open", _("Open")), ("closed", _("closed")), ("all", _("All")))


class CaseFilter(ListFilter):
    """Filter cases by open or closed (open unless asked), cause and asset; search them."""

    search_fields: ClassVar[tuple[str, ...]] = ("asset", "wallet", "resolution")
    state = django_filters.ChoiceFilter(choices=OPEN_OR_CLOSED, method="_state", label=_("Status"))
    cause = django_filters.ChoiceFilter(choices=Case.Cause.choices, label=_("Cause"))
    asset = django_filters.CharFilter(label=_("Asset"))

    def _state(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset  # read by filter_queryset

    def filter_queryset(self, queryset: QuerySet[Case]) -> QuerySet[Case]:
        """Narrow the cases; the open ones only unless closed or all are asked for."""
        narrowed: QuerySet[Case] = super().filter_queryset(queryset)
        state = self.form.cleaned_data.get("state") or "open"
        if state == "open":
            return narrowed.exclude(status=Case.Status.CLOSED)
        if state == "closed":
            return narrowed.filter(status=Case.Status.CLOSED)
        return narrowed


class CaseTable(ListTable):
    """Number, asset, difference, cause, owner, status, opened."""

    filter_class = CaseFilter
    export = "reconciliation.cases"

    pk = tables.Column(verbose_name="#", order_by=("pk",))
    asset = tables.Column(verbose_name=_("Asset"))
    #: One plain cell, so that how amounts are shown can change in one place.
    difference = tables.Column(verbose_name=_("Difference"), default="—")
    cause = tables.Column(verbose_name=_("Cause"))
    owner = tables.Column(verbose_name=_("Owner"), order_by=("owner__username",), default="—")
    status = tables.Column(verbose_name=_("Status"))
    opened_at = tables.DateTimeColumn(verbose_name=_("Opened"), format="Y-m-d H:i")

    class Meta(ListTable.Meta):
        order_by = ("-pk",)

    def render_pk(self, value: int) -> Any:
        """The case's number, linked to it."""
        link = reverse("reconciliation:case", args=[value])
        return format_html('<a href="{}">#{}</a>', link, value)

    def value_pk(self, value: int) -> int:
        """The case's number."""
        return value

    def render_asset(self, record: Case) -> str:
        """The asset and wallet, or the refused book."""
        if record.kind == Case.Kind.BOOK_REFUSED:
            return f"{record.get_kind_display()} (#{record.book_id})"
        return f"{record.asset} {record.wallet}".strip()

    value_asset = render_asset

    def render_difference(self, record: Case) -> Any:
        """The difference in whole coins, base units on hover (none for a refused book)."""
        if record.kind == Case.Kind.BOOK_REFUSED or record.difference is None:
            return "—"
        from mamori.custody.templatetags.money import amount_filter

        return amount_filter(int(record.difference), record.asset)

    def value_difference(self, record: Case) -> str:
        """The difference in base units, exact (none for a refused book)."""
        if record.kind == Case.Kind.BOOK_REFUSED or record.difference is None:
            return ""
        return str(record.difference)

    def render_cause(self, record: Case) -> str:
        """The cause in words."""
        return str(record.get_cause_display())

    def render_status(self, record: Case) -> str:
        """The status in words."""
        return str(record.get_status_display())
