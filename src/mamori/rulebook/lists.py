"""The rulebook's lists: what needs attention (:mod:`mamori.core.tables`)."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListTable, RowsFilter
from mamori.rulebook.services.controls import Attention

__all__ = ["AttentionFilter", "AttentionTable"]

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
