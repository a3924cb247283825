"""The list of key-holder systems (:mod:`mamori.core.tables`; ISM 31-2)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.keys.models import EntitlementFinding, KeySystem

__all__ = ["SystemFilter", "SystemTable"]


class SystemFilter(ListFilter):
    """Filter systems by kind; search names and descriptions."""

    search_fields: ClassVar[tuple[str, ...]] = ("name", "description")
    kind = django_filters.ChoiceFilter(choices=KeySystem.Kind.choices, label=_("Kind"))


class SystemTable(ListTable):
    """Name, kind, owner, roles, active grants, open findings, last reconciled."""

    filter_class = SystemFilter
    export = "keys.systems"

    name = tables.Column(verbose_name=_("System"))
    kind = tables.Column(verbose_name=_("Kind"))
    owner = tables.Column(verbose_name=_("Owner"), accessor="owner__username")
    roles = tables.Column(verbose_name=_("Roles"), orderable=False)
    grants = tables.Column(verbose_name=_("Active grants"), orderable=False, empty_values=())
    findings = tables.Column(verbose_name=_("Open findings"), orderable=False, empty_values=())
    reconciled = tables.Column(verbose_name=_("Last reconciled"), orderable=False, empty_values=())

    class Meta(ListTable.Meta):
        order_by = ("name",)

    def render_name(self, record: KeySystem) -> Any:
        """The system's name, linked to it."""
        return format_html(
            '<a href="{}">{}</a>', reverse("keys:system", args=[record.pk]), record.name
        )

    def value_name(self, record: KeySystem) -> str:
        """The system's name."""
        return record.name

    def render_kind(self, record: KeySystem) -> str:
        """The kind, in words."""
        return str(record.get_kind_display())

    def value_kind(self, record: KeySystem) -> str:
        """The kind's code."""
        return record.kind

    def render_roles(self, record: KeySystem) -> str:
        """The roles, comma separated."""
        return ", ".join(record.roles)

    def value_roles(self, record: KeySystem) -> str:
        """The roles, comma separated."""
        return ", ".join(record.roles)

    def render_grants(self, record: KeySystem) -> int:
        """How many grants are active."""
        return int(record.grants.filter(active=True).count())

    def value_grants(self, record: KeySystem) -> int:
        """How many grants are active."""
        return int(record.grants.filter(active=True).count())

    def _open(self, record: KeySystem) -> int:
        return int(record.findings.filter(status=EntitlementFinding.Status.OPEN).count())

    def render_findings(self, record: KeySystem) -> Any:
        """How many findings are open, red when any."""
        count = self._open(record)
        if not count:
            return format_html('<span class="status-ok">{}</span>', 0)
        return format_html('<strong class="status-bad">{}</strong>', count)

    def value_findings(self, record: KeySystem) -> int:
        """How many findings are open."""
        return self._open(record)

    def _last(self, record: KeySystem) -> str:
        last = record.reconciliations.order_by("-at").first()
        return last.at.strftime("%Y-%m-%d %H:%M") if last else ""

    def render_reconciled(self, record: KeySystem) -> str:
        """When it was last reconciled (— never)."""
        return self._last(record) or "—"

    def value_reconciled(self, record: KeySystem) -> str:
        """When it was last reconciled."""
        return self._last(record)
