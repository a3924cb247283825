"""The rulebook's lists: what needs attention, the controls (:mod:`mamori.core.tables`)."""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable, RowsFilter
from mamori.rulebook.models import Control
from mamori.rulebook.services.controls import Attention, states

__all__ = ["AttentionFilter", "AttentionTable", "ControlFilter", "ControlTable"]

#: What can need attention, in the words of the page.
WHAT = {
    "evidence_expired": _("evidence expired"),
    "run_late": _("run late"),
    "evidence_missing": _("no evidence yet"),
    "evidence_pending": _("evidence awaiting review"),
    "evidence_expiring": _("evidence expiring"),
    "review_overdue": _("review overdue"),
}


class AttentionForm(forms.Form):
    """What needs attention, and a search of the controls' codes and names."""

    what = forms.ChoiceField(
        choices=[("", "---------"), *WHAT.items()], required=False, label=_("What")
    )
    q = forms.CharField(required=False, label=_("Search"))


class AttentionFilter(RowsFilter):
    """Keep one kind of attention, and the controls whose code or name holds the search."""

    form_class = AttentionForm

    def keep(self, rows: list[Attention], data: dict[str, Any]) -> list[Attention]:
        """Return the items of the kind asked for whose control matches the search."""
        words = (data.get("q") or "").strip().casefold()
        return [
            item
            for item in rows
            if (not data.get("what") or item.what == data["what"])
            and (
                not words
                or words in item.control.code.casefold()
                or words in str(item.control.name).casefold()
            )
        ]


class AttentionTable(ListTable):
    """Control, what, due, owner."""

    filter_class = AttentionFilter
    export = "rulebook.attention"

    control = tables.Column(verbose_name=_("Control"), order_by=("control__code",))
    what = tables.Column(verbose_name=_("What"))
    due = tables.DateColumn(verbose_name=_("Due"), format="Y-m-d", default="—")
    owner = tables.Column(
        verbose_name=_("Owner"),
        accessor="control__owner_role",
        order_by=("control__owner_role__code",),
    )

    def render_control(self, value: Any) -> Any:
        """The control's code, linked, and its name."""
        return format_html(
            '<a href="{}">{}</a> {}',
            reverse("rulebook:control", args=[value.code]),
            value.code,
            value.name,
        )

    def value_control(self, value: Any) -> str:
        """The control's code and name."""
        return f"{value.code} {value.name}"

    def render_what(self, value: str) -> str:
        """What needs doing, in words."""
        return str(WHAT.get(value, value))

    value_what = render_what


STATES = (("ok", "OK"), ("failing", _("not holding")))


class ControlFilter(ListFilter):
    """Filter controls by kind and whether they hold now; search codes and names."""

    search_fields: ClassVar[tuple[str, ...]] = ("code", "name_ja", "name_en")
    kind = django_filters.ChoiceFilter(choices=Control.Kind.choices, label=_("Kind"))
    state = django_filters.ChoiceFilter(choices=STATES, method="_state", label=_("State"))

    def _state(self, queryset: QuerySet[Control], name: str, value: str) -> QuerySet[Control]:
        """Keep the controls that hold now, or those that do not."""
        held = [pk for pk, state in states().items() if state.ok]
        return queryset.filter(pk__in=held) if value == "ok" else queryset.exclude(pk__in=held)


class ControlTable(ListTable):
    """Code, control, kind, owner, requirements, state."""

    filter_class = ControlFilter
    export = "rulebook.controls"

    code = tables.Column(verbose_name=_("Code"))
    name = tables.Column(verbose_name=_("Control"), accessor="pk", orderable=False)
    kind = tables.Column(verbose_name=_("Kind"))
    owner = tables.Column(
        verbose_name=_("Owner"), accessor="owner_role", order_by=("owner_role__code",)
    )
    requirement_count = tables.Column(verbose_name=_("Requirements"))
    state = tables.Column(verbose_name=_("State"), accessor="pk", orderable=False)

    class Meta(ListTable.Meta):
        order_by = ("code",)

    @cached_property
    def _states(self) -> dict[int, Any]:
        return states()

    def render_code(self, value: str) -> Any:
        """The code, linked to the control."""
        return format_html('<a href="{}">{}</a>', reverse("rulebook:control", args=[value]), value)

    def value_code(self, value: str) -> str:
        """The code."""
        return value

    def render_name(self, record: Control) -> str:
        """The control's name in the reader's language."""
        return str(record.name)

    def render_kind(self, record: Control) -> str:
        """The kind in words."""
        return str(record.get_kind_display())

    def _reason(self, record: Control) -> str:
        state = self._states[record.pk]
        if state.ok:
            return "OK"
        return str(state.reason_en if get_language() == "en" else state.reason_ja)

    def render_state(self, record: Control) -> Any:
        """OK, or why not."""
        css = "status-ok" if self._states[record.pk].ok else "status-bad"
        return format_html('<span class="{}">{}</span>', css, self._reason(record))

    def value_state(self, record: Control) -> str:
        """OK, or why not."""
        return self._reason(record)
