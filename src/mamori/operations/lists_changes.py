"""The lists of systems and changes (:mod:`mamori.core.tables`) (SRM 7-2, 11-4, 12)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.operations.models import Change, System
from mamori.operations.services import changes

__all__ = ["ChangeFilter", "ChangeTable", "SystemFilter", "SystemTable"]


class SystemFilter(ListFilter):
    """Filter systems by criticality, lifecycle and department; search code and names."""

    search_fields: ClassVar[tuple[str, ...]] = ("code", "name_ja", "name_en")
    criticality = django_filters.ChoiceFilter(
        choices=System.Criticality.choices, label=_("Criticality")
    )
    lifecycle = django_filters.ChoiceFilter(choices=System.Lifecycle.choices, label=_("Lifecycle"))


class SystemTable(ListTable):
    """Code, name, owner department, system manager, criticality, lifecycle."""

    filter_class = SystemFilter
    export = "operations.systems"

    code = tables.Column(verbose_name=_("Code"))
    name = tables.Column(verbose_name=_("Name"), accessor="name_ja")
    department = tables.Column(verbose_name=_("Owner department"), accessor="department__code")
    system_manager = tables.Column(
        verbose_name=_("System manager"), accessor="system_manager__username", default="—"
    )
    criticality = tables.Column(verbose_name=_("Criticality"))
    lifecycle = tables.Column(verbose_name=_("Lifecycle"))

    class Meta(ListTable.Meta):
        order_by = ("code",)

    def render_code(self, record: System) -> Any:
        """The code, linked to the system's page."""
        url = reverse("operations:system", args=[record.code])
        return format_html('<a href="{}">{}</a>', url, record.code)

    def value_code(self, record: System) -> str:
        """The code."""
        return record.code

    def render_name(self, record: System) -> str:
        """The name in the reader's language."""
        return record.name(get_language() or "ja")

    def value_name(self, record: System) -> str:
        """Both names."""
        return f"{record.name_ja} / {record.name_en}"

    def render_criticality(self, record: System) -> str:
        """The criticality, in words."""
        return str(record.get_criticality_display())

    def render_lifecycle(self, record: System) -> str:
        """The lifecycle, in words."""
        return str(record.get_lifecycle_display())


class ChangeFilter(ListFilter):
    """Filter changes by kind, category and stage; search reference and title."""

    search_fields: ClassVar[tuple[str, ...]] = ("reference", "title")
    kind = django_filters.ChoiceFilter(choices=Change.Kind.choices, label=_("Kind"))
    category = django_filters.ChoiceFilter(choices=Change.Category.choices, label=_("Category"))
    stage = django_filters.ChoiceFilter(choices=Change.Stage.choices, label=_("Stage"))


class ChangeTable(ListTable):
    """Reference, title, kind, category, stage reached, next planned date, days late,
    responsible person, systems."""

    filter_class = ChangeFilter
    export = "operations.changes"

    reference = tables.Column(verbose_name=_("Reference"))
    title = tables.Column(verbose_name=_("Title"))
    kind = tables.Column(verbose_name=_("Kind"))
    category = tables.Column(verbose_name=_("Category"))
    stage = tables.Column(verbose_name=_("Stage reached"))
    next_planned = tables.Column(
        verbose_name=_("Next stage planned on"), empty_values=(), orderable=False
    )
    slippage = tables.Column(verbose_name=_("Days late"), empty_values=(), orderable=False)
    responsible = tables.Column(verbose_name=_("Responsible"), accessor="responsible__username")
    systems = tables.Column(verbose_name=_("Systems"), empty_values=(), orderable=False)

    class Meta(ListTable.Meta):
        order_by = ("-created_at",)

    def render_reference(self, record: Change) -> Any:
        """The reference, linked to the change."""
        url = reverse("operations:change", args=[record.reference])
        return format_html('<a href="{}">{}</a>', url, record.reference)

    def value_reference(self, record: Change) -> str:
        """The reference."""
        return record.reference

    def render_title(self, record: Change) -> Any:
        """The title (data, in its author's words)."""
        return format_html('<span translate="no">{}</span>', record.title)

    def value_title(self, record: Change) -> str:
        """The title."""
        return record.title

    def render_kind(self, record: Change) -> str:
        """The kind, in words."""
        return str(record.get_kind_display())

    def render_category(self, record: Change) -> str:
        """The category, in words."""
        return str(record.get_category_display())

    def render_stage(self, record: Change) -> str:
        """The stage reached, in words."""
        return changes.stage_label(record.stage)

    def render_next_planned(self, record: Change) -> str:
        """The planned date of the next stage not reached."""
        for row in changes.progress(record):
            if row["reached_at"] is None and row["planned_on"] is not None:
                return str(row["planned_on"].isoformat())
        return "—"

    value_next_planned = render_next_planned

    def render_slippage(self, record: Change) -> Any:
        """Days behind the plan (red when late)."""
        days = changes.slippage_days(record)
        if days:
            return format_html('<span class="status-bad">{}</span>', days)
        return "0"

    def value_slippage(self, record: Change) -> int:
        """Days behind the plan."""
        return changes.slippage_days(record)

    def render_systems(self, record: Change) -> str:
        """The systems touched, by code."""
        return ", ".join(s.code for s in record.systems.all())

    value_systems = render_systems
