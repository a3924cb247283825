"""The reconciliation lists: runs (:mod:`mamori.core.tables`)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.reconciliation.models import Run

__all__ = ["RunFilter", "RunTable"]


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
