"""The list of configuration items (:mod:`mamori.core.tables`) (SRM 7-2, 12-2..4)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import Department
from mamori.core.tables import ListFilter, ListTable
from mamori.operations.models import ConfigurationItem, System

__all__ = ["ItemFilter", "ItemTable"]

SOURCES = [
    (s, s) for s in ("manual", "csv", "excel", "terraform", "aws_config", "kubernetes", "netbox")
]


class ItemFilter(ListFilter):
    """Filter items by kind, system, department, lifecycle, criticality, gone or not and
    source; search name, identifier and location."""

    search_fields: ClassVar[tuple[str, ...]] = ("name", "external_id", "location")
    kind = django_filters.ChoiceFilter(choices=ConfigurationItem.Kind.choices, label=_("Kind"))
    system = django_filters.ModelChoiceFilter(queryset=System.objects.all(), label=_("System"))
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), label=_("Owner department")
    )
    lifecycle = django_filters.ChoiceFilter(
        choices=ConfigurationItem.Lifecycle.choices, label=_("Lifecycle")
    )
    criticality = django_filters.ChoiceFilter(
        choices=ConfigurationItem.Criticality.choices, label=_("Criticality")
    )
    gone = django_filters.BooleanFilter(method="_gone", label=_("Gone from its source"))
    source = django_filters.ChoiceFilter(choices=SOURCES, label=_("Source"))

    def _gone(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        """Keep the items gone from their source (yes) or still reported (no)."""
        if value is None:
            return queryset
        return queryset.filter(gone_since__isnull=not value)


def _moment(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class ItemTable(ListTable):
    """Name, kind, system, owner department, system manager, criticality, lifecycle, source,
    last seen, gone since."""

    filter_class = ItemFilter
    export = "operations.configuration_items"

    name = tables.Column(verbose_name=_("Name"))
    kind = tables.Column(verbose_name=_("Kind"))
    system = tables.Column(verbose_name=_("System"), accessor="system__code", default="—")
    department = tables.Column(
        verbose_name=_("Owner department"), accessor="department__code", default="—"
    )
    system_manager = tables.Column(
        verbose_name=_("System manager"), accessor="system_manager__username", default="—"
    )
    criticality = tables.Column(verbose_name=_("Criticality"))
    lifecycle = tables.Column(verbose_name=_("Lifecycle"))
    source = tables.Column(verbose_name=_("Source"))
    last_seen_at = tables.Column(verbose_name=_("Last seen"))
    gone_since = tables.Column(verbose_name=_("Gone since"), default="—")

    class Meta(ListTable.Meta):
        order_by = ("kind", "name")

    def render_name(self, record: ConfigurationItem) -> Any:
        """The name (data), linked to the item's page."""
        url = reverse("operations:cmdb_item", args=[record.pk])
        return format_html('<a href="{}" translate="no">{}</a>', url, record.name)

    def value_name(self, record: ConfigurationItem) -> str:
        """The name."""
        return record.name

    def render_kind(self, record: ConfigurationItem) -> str:
        """The kind, in words."""
        return str(record.get_kind_display())

    def render_criticality(self, record: ConfigurationItem) -> str:
        """The criticality, in words."""
        return str(record.get_criticality_display())

    def render_lifecycle(self, record: ConfigurationItem) -> str:
        """The lifecycle, in words."""
        return str(record.get_lifecycle_display())

    def render_last_seen_at(self, record: ConfigurationItem) -> str:
        """When its source last reported it, local time."""
        return _moment(record.last_seen_at)

    def value_last_seen_at(self, record: ConfigurationItem) -> str:
        """When its source last reported it, local time."""
        return _moment(record.last_seen_at)

    def render_gone_since(self, record: ConfigurationItem) -> str:
        """Since when it is gone from its source, local time."""
        return _moment(record.gone_since)

    def value_gone_since(self, record: ConfigurationItem) -> str:
        """Since when it is gone from its source, local time."""
        return _moment(record.gone_since)
