"""The lists of guard: blocked sources, containment actions, notices (:mod:`mamori.core.tables`)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.guard.models import ContainmentAction, Notice, Publication

__all__ = ["ActionTable", "BlockTable", "NoticeTable"]


def _when(value: Any) -> str:
    return localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class BlockFilter(ListFilter):
    """Search blocked networks and reasons."""

    search_fields: ClassVar[tuple[str, ...]] = ("network", "reason")


class BlockTable(ListTable):
    """Network, reason, incident, who, when, until, lifted."""

    filter_class = BlockFilter
    export = "guard.blocks"

    network = tables.Column(verbose_name=_("Address or network"))
    reason = tables.Column(verbose_name=_("Reason"))
    incident = tables.Column(verbose_name=_("Incident"), accessor="incident__reference")
    by = tables.Column(verbose_name=_("Blocked by"), accessor="by__username")
    at = tables.Column(verbose_name=_("Blocked at"))
    expires_at = tables.Column(verbose_name=_("Expires at"), empty_values=())
    lifted_at = tables.Column(verbose_name=_("Lifted at"), empty_values=())

    class Meta(ListTable.Meta):
        order_by = ("-at",)

    def render_network(self, value: str) -> Any:
        """The network, as data."""
        return format_html("<code>{}</code>", value)

    def render_at(self, value: Any) -> str:
        """When it was blocked."""
        return _when(value)

    def render_expires_at(self, value: Any) -> str:
        """Until when."""
        return _when(value)

    def render_lifted_at(self, value: Any) -> str:
        """When it was lifted."""
        return _when(value)


class ActionTable(ListTable):
    """When, what, by whom, for which incident."""

    export = "guard.actions"

    at = tables.Column(verbose_name=_("At"))
    kind = tables.Column(verbose_name=_("Action"))
    summary = tables.Column(verbose_name=_("Summary"), accessor="summary_ja")
    incident = tables.Column(verbose_name=_("Incident"), accessor="incident__reference")
    by = tables.Column(verbose_name=_("By"), accessor="by__username")

    class Meta(ListTable.Meta):
        order_by = ("-at",)

    def render_at(self, value: Any) -> str:
        """When it was taken."""
        return _when(value)

    def render_kind(self, record: ContainmentAction) -> str:
        """The action, in words."""
        return str(record.get_kind_display())

    def render_summary(self, record: ContainmentAction) -> str:
        """What was done, in the page's language."""
        return record.summary(get_language() or "ja")

    def value_summary(self, record: ContainmentAction) -> str:
        """What was done, in both languages."""
        return f"{record.summary_ja} / {record.summary_en}"


class NoticeFilter(ListFilter):
    """Filter notices by kind and publication; search titles."""

    search_fields: ClassVar[tuple[str, ...]] = ("title_ja", "title_en")
    kind = django_filters.ChoiceFilter(choices=Notice.Kind.choices, label=_("Kind"))
    publication = django_filters.ChoiceFilter(choices=Publication.choices, label=_("Publication"))


class NoticeTable(ListTable):
    """Title, kind, incident, starts, publication, resolved."""

    filter_class = NoticeFilter
    export = "guard.notices"

    title_ja = tables.Column(verbose_name=_("Title"))
    kind = tables.Column(verbose_name=_("Kind"))
    incident = tables.Column(verbose_name=_("Incident"), accessor="incident__reference")
    starts_at = tables.Column(verbose_name=_("Starts at"))
    publication = tables.Column(verbose_name=_("Publication"))
    resolved = tables.BooleanColumn(verbose_name=_("Resolved"))

    class Meta(ListTable.Meta):
        order_by = ("-starts_at",)

    def render_title_ja(self, record: Notice) -> Any:
        """The title in both languages, linked to the notice."""
        url = reverse("guard:notice", args=[record.pk])
        return format_html('<a href="{}">{} / {}</a>', url, record.title_ja, record.title_en)

    def value_title_ja(self, record: Notice) -> str:
        """The title in both languages."""
        return f"{record.title_ja} / {record.title_en}"

    def render_kind(self, record: Notice) -> str:
        """The kind, in words."""
        return str(record.get_kind_display())

    def render_publication(self, record: Notice) -> str:
        """Where it stands, in words."""
        return str(record.get_publication_display())

    def render_starts_at(self, value: Any) -> str:
        """When it starts."""
        return _when(value)
