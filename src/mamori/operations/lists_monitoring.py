"""The lists of operating-status monitoring (:mod:`mamori.core.tables`) (SRM 21-1)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.operations.models import Alert, MonitoredService, ServiceState

__all__ = ["AlertTable", "ServiceStateTable", "ServiceTable"]


class ServiceFilter(ListFilter):
    """Filter services by state; search code and names."""

    search_fields: ClassVar[tuple[str, ...]] = ("code", "name_ja", "name_en")
    state = django_filters.ChoiceFilter(choices=MonitoredService.State.choices, label=_("State"))


class ServiceTable(ListTable):
    """Code, name, system, state and since when."""

    filter_class = ServiceFilter
    export = "operations.monitored_services"

    code = tables.Column(verbose_name=_("Code"))
    name = tables.Column(verbose_name=_("Name"), accessor="name_ja")
    system = tables.Column(verbose_name=_("System"), accessor="system__code")
    state = tables.Column(verbose_name=_("State"))
    state_since = tables.DateTimeColumn(verbose_name=_("Since"), default="—")

    class Meta(ListTable.Meta):
        order_by = ("code",)

    def render_code(self, record: MonitoredService) -> Any:
        """The code, linked to the service's page."""
        url = reverse("operations:monitored_service", args=[record.code])
        return format_html('<a href="{}">{}</a>', url, record.code)

    def value_code(self, record: MonitoredService) -> str:
        """The code."""
        return record.code

    def render_name(self, record: MonitoredService) -> str:
        """The name in the reader's language."""
        return record.name(get_language() or "ja")

    def render_state(self, record: MonitoredService) -> Any:
        """The state, marked for the eye."""
        return format_html(
            '<span class="state-{}">{}</span>', record.state, record.get_state_display()
        )

    def value_state(self, record: MonitoredService) -> str:
        """The state."""
        return record.state


class ServiceStateTable(ListTable):
    """One period in one state: from, until, cause, incident."""

    export = "operations.service_states"

    state = tables.Column(verbose_name=_("State"))
    started_at = tables.DateTimeColumn(verbose_name=_("From"))
    ended_at = tables.DateTimeColumn(verbose_name=_("Until"), default="—")
    cause = tables.Column(verbose_name=_("Cause"))
    incident = tables.Column(verbose_name=_("Incident"), accessor="incident__reference")

    class Meta(ListTable.Meta):
        order_by = ("-started_at",)


class AlertFilter(ListFilter):
    """Filter alerts by status; search name and fingerprint."""

    search_fields: ClassVar[tuple[str, ...]] = ("name", "fingerprint")
    status = django_filters.ChoiceFilter(choices=Alert.Status.choices, label=_("Status"))


class AlertTable(ListTable):
    """An alert: name, status, service, start and end, the incident it opened."""

    filter_class = AlertFilter
    export = "operations.monitoring_alerts"

    name = tables.Column(verbose_name=_("Alert"))
    status = tables.Column(verbose_name=_("Status"))
    service = tables.Column(verbose_name=_("Service"), accessor="service__code", default="—")
    starts_at = tables.DateTimeColumn(verbose_name=_("Starts at"))
    ends_at = tables.DateTimeColumn(verbose_name=_("Ends at"), default="—")
    incident = tables.Column(verbose_name=_("Incident"), accessor="incident__reference")
    fingerprint = tables.Column(verbose_name=_("Fingerprint"))

    class Meta(ListTable.Meta):
        order_by = ("-starts_at",)

    def render_incident(self, record: Alert) -> Any:
        """The incident, linked to its page."""
        if record.incident is None:
            return "—"
        url = reverse("operations:incident", args=[record.incident.reference])
        return format_html('<a href="{}">{}</a>', url, record.incident.reference)

    def value_incident(self, record: Alert) -> str:
        """The incident's reference."""
        return record.incident.reference if record.incident else ""


def states_of(service: MonitoredService) -> Any:
    """Return the periods of ``service``, newest first, with their incidents."""
    return ServiceState.objects.filter(service=service).select_related("incident")
