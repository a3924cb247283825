"""The list of a person's exports (:mod:`mamori.core.tables`)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.scheduler.exportjobs.kinds import get_kind
from mamori.scheduler.models import ExportJob

__all__ = ["ExportFilter", "ExportTable"]


class ExportFilter(ListFilter):
    """Filter exports by state."""

    search_fields: ClassVar[tuple[str, ...]] = ("kind", "file_name")
    state = django_filters.ChoiceFilter(choices=ExportJob.State.choices, label=_("State"))


class ExportTable(ListTable):
    """Export, asked at, state, file, SHA-256."""

    filter_class = ExportFilter
    export = "scheduler.exports"

    kind = tables.Column(verbose_name=_("Export"))
    requested_at = tables.DateTimeColumn(verbose_name=_("Asked at"))
    state = tables.Column(verbose_name=_("State"))
    file_name = tables.Column(verbose_name=_("File"), orderable=False)
    sha256 = tables.Column(
        verbose_name=_("SHA-256"), orderable=False, attrs={"td": {"class": "secret"}}
    )

    class Meta(ListTable.Meta):
        order_by = ("-requested_at",)

    def render_kind(self, record: ExportJob) -> Any:
        """The export's title, linked to its page."""
        try:
            title = get_kind(record.kind).title
        except KeyError:
            title = record.kind
        return format_html('<a href="{}">{}</a>', reverse("exports:job", args=[record.pk]), title)

    def value_kind(self, record: ExportJob) -> str:
        """The export's name."""
        return record.kind

    def render_requested_at(self, value: Any) -> str:
        """When it was asked for, in local time."""
        return date_format(timezone.localtime(value), "Y-m-d H:i:s T")

    def render_state(self, record: ExportJob) -> str:
        """The state in words."""
        return str(record.get_state_display())

    def value_state(self, record: ExportJob) -> str:
        """The state."""
        return record.state

    def render_sha256(self, value: str) -> str:
        """The digest's first 16 characters."""
        return f"{value[:16]}…"
