"""The list of maintenance (:mod:`mamori.core.tables`), SRM 13."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.operations.models import Maintenance, System

__all__ = ["MaintenanceFilter", "MaintenanceTable"]


class MaintenanceFilter(ListFilter):
    """Filter maintenance by status, kind, system and planned start; search the titles."""

    search_fields: ClassVar[tuple[str, ...]] = ("title_ja", "title_en")
    status = django_filters.ChoiceFilter(choices=Maintenance.Status.choices, label=_("Status"))
    kind = django_filters.ChoiceFilter(choices=Maintenance.Kind.choices, label=_("Kind"))
    systems = django_filters.ModelChoiceFilter(
        queryset=System.objects.all(), label=_("System"), field_name="systems"
    )
    planned_start__gte = django_filters.DateFilter(
        field_name="planned_start", lookup_expr="date__gte", label=_("Starts on or after")
    )
    planned_start__lte = django_filters.DateFilter(
        field_name="planned_start", lookup_expr="date__lte", label=_("Starts on or before")
    )


def _moment(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class MaintenanceTable(ListTable):
    """Reference, title, kind, systems, window planned and actual, status, notice, finding."""

    filter_class = MaintenanceFilter
    export = "operations.maintenance"

    reference = tables.Column(verbose_name=_("Reference"), accessor="pk")
    title = tables.Column(verbose_name=_("Title"), accessor="title_ja", orderable=False)
    kind = tables.Column(verbose_name=_("Kind"))
    systems = tables.Column(verbose_name=_("Systems"), empty_values=(), orderable=False)
    planned_start = tables.Column(verbose_name=_("Planned start"))
    planned_end = tables.Column(verbose_name=_("Planned end"))
    actual_start = tables.Column(verbose_name=_("Actual start"))
    actual_end = tables.Column(verbose_name=_("Actual end"))
    status = tables.Column(verbose_name=_("Status"))
    notice_published_at = tables.Column(verbose_name=_("Notice published"))
    exception = tables.Column(verbose_name=_("Exception"))

    class Meta(ListTable.Meta):
        order_by = ("-planned_start",)

    def render_reference(self, record: Maintenance) -> Any:
        """The reference, linked to the maintenance."""
        url = reverse("operations:maintenance", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, record.reference)

    def value_reference(self, record: Maintenance) -> str:
        """The reference."""
        return record.reference

    def render_title(self, record: Maintenance) -> str:
        """The title in the reader's language."""
        return record.title(get_language() or "ja")

    def render_kind(self, record: Maintenance) -> str:
        """The kind, in words."""
        return str(record.get_kind_display())

    def render_status(self, record: Maintenance) -> str:
        """The status, in words."""
        return str(record.get_status_display())

    def render_systems(self, record: Maintenance) -> str:
        """The codes of the systems touched."""
        return ", ".join(s.code for s in record.systems.all()) or "—"

    value_systems = render_systems

    def render_planned_start(self, value: Any) -> str:
        """Local time."""
        return _moment(value)

    render_planned_end = render_planned_start
    render_actual_start = render_planned_start
    render_actual_end = render_planned_start
    render_notice_published_at = render_planned_start

    def render_exception(self, record: Maintenance) -> str:
        """The exception's reason, if any."""
        return record.exception_reason if record.exception else "—"

    value_exception = render_exception
