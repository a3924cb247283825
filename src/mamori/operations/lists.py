"""The list of incidents (:mod:`mamori.core.tables`) (SRM 7-3, ISM 9-3)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.operations.models import Incident
from mamori.operations.services.incidents import shown_name

__all__ = ["IncidentFilter", "IncidentTable"]


class IncidentFilter(ListFilter):
    """Filter incidents by status, kind, severity, drill and source; search the words."""

    search_fields: ClassVar[tuple[str, ...]] = ("reference", "title", "location")
    status = django_filters.ChoiceFilter(choices=Incident.Status.choices, label=_("Status"))
    kind = django_filters.ChoiceFilter(choices=Incident.Kind.choices, label=_("Kind"))
    severity = django_filters.ChoiceFilter(choices=Incident.Severity.choices, label=_("Severity"))
    drill = django_filters.BooleanFilter(label=_("Drill"))
    source = django_filters.ChoiceFilter(choices=Incident.Source.choices, label=_("Source"))


class IncidentTable(ListTable):
    """Reference, what, where, kind, severity, status, commander, detected."""

    filter_class = IncidentFilter
    export = "operations.incidents"

    reference = tables.Column(verbose_name=_("Reference"))
    title = tables.Column(verbose_name=_("What happened"))
    location = tables.Column(verbose_name=_("Where"))
    kind = tables.Column(verbose_name=_("Kind"))
    severity = tables.Column(verbose_name=_("Severity"))
    status = tables.Column(verbose_name=_("Status"))
    source = tables.Column(verbose_name=_("Source"))
    commander = tables.Column(
        verbose_name=_("Commander"), accessor="commander__username", default="—"
    )
    detected_at = tables.Column(verbose_name=_("Detected at"))
    drill = tables.BooleanColumn(verbose_name=_("Drill"))

    class Meta(ListTable.Meta):
        order_by = ("-detected_at",)

    def render_commander(self, record: Incident) -> str:
        """The commander's name (sorted by username)."""
        return shown_name(record.commander) if record.commander else "—"

    def render_reference(self, record: Incident) -> Any:
        """The reference, linked to the incident."""
        url = reverse("operations:incident", args=[record.reference])
        return format_html('<a href="{}">{}</a>', url, record.reference)

    def value_reference(self, record: Incident) -> str:
        """The reference."""
        return record.reference

    def render_title(self, record: Incident) -> Any:
        """What happened, as reported (data, in the reporter's words)."""
        return format_html('<span translate="no">{}</span>', record.title)

    def value_title(self, record: Incident) -> str:
        """What happened."""
        return record.title

    def render_location(self, record: Incident) -> Any:
        """Where, as reported."""
        return format_html('<span translate="no">{}</span>', record.location)

    def value_location(self, record: Incident) -> str:
        """Where."""
        return record.location

    def render_kind(self, record: Incident) -> str:
        """The kind, in words."""
        return str(record.get_kind_display())

    def render_status(self, record: Incident) -> str:
        """The status, in words."""
        return str(record.get_status_display())

    def render_source(self, record: Incident) -> str:
        """The source, in words."""
        return str(record.get_source_display())

    def render_detected_at(self, record: Incident) -> str:
        """When it was detected, in the installation's time zone."""
        return localtime(record.detected_at).strftime("%Y-%m-%d %H:%M")

    def value_detected_at(self, record: Incident) -> str:
        """When it was detected (ISO 8601)."""
        return localtime(record.detected_at).isoformat()
