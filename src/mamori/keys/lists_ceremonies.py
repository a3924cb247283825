"""The lists of key ceremonies (ISM 28-1, 28-2) and of backup accesses (ISM 28-3-5)
(:mod:`mamori.core.tables`)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.keys.models import BackupAccess, Ceremony

__all__ = ["AccessFilter", "AccessTable", "CeremonyFilter", "CeremonyTable"]


def _when(value: Any) -> str:
    return localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class CeremonyFilter(ListFilter):
    """Filter ceremonies by kind and state; search titles and wallets."""

    search_fields: ClassVar[tuple[str, ...]] = ("title", "wallet__name")
    kind = django_filters.ChoiceFilter(choices=Ceremony.Kind.choices, label=_("Kind"))
    state = django_filters.ChoiceFilter(choices=Ceremony.State.choices, label=_("State"))


class CeremonyTable(ListTable):
    """Title, kind, wallet, window, state, whether the output matched."""

    filter_class = CeremonyFilter
    export = "keys.ceremonies"

    title = tables.Column(verbose_name=_("Ceremony"))
    kind = tables.Column(verbose_name=_("Kind"))
    wallet = tables.Column(verbose_name=_("Wallet"), accessor="wallet__name")
    starts_at = tables.Column(verbose_name=_("Window starts"))
    ends_at = tables.Column(verbose_name=_("Window ends"))
    state = tables.Column(verbose_name=_("State"))
    output_matched = tables.Column(verbose_name=_("Output matched"), empty_values=())

    class Meta(ListTable.Meta):
        order_by = ("-starts_at",)

    def render_title(self, record: Ceremony) -> Any:
        """The title, linked to the ceremony."""
        url = reverse("keys:ceremony_detail", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, record.title)

    def value_title(self, record: Ceremony) -> str:
        """The title."""
        return record.title

    def render_kind(self, record: Ceremony) -> str:
        """The kind, in words."""
        return str(record.get_kind_display())

    def render_state(self, record: Ceremony) -> str:
        """The state, in words."""
        return str(record.get_state_display())

    def render_starts_at(self, value: Any) -> str:
        """When the window starts."""
        return _when(value)

    def render_ends_at(self, value: Any) -> str:
        """When the window ends."""
        return _when(value)

    def render_output_matched(self, record: Ceremony) -> Any:
        """Whether every registered address matched the public output."""
        if record.output_matched is None:
            return "—"
        if record.output_matched:
            return format_html('<span class="status-ok">{}</span>', _("yes"))
        return format_html('<strong class="status-bad">{}</strong>', _("no"))

    def value_output_matched(self, record: Ceremony) -> str:
        """Whether every registered address matched the public output."""
        return "" if record.output_matched is None else str(record.output_matched)


class AccessFilter(ListFilter):
    """Filter accesses by kind and by expected or not; search actors and event ids."""

    search_fields: ClassVar[tuple[str, ...]] = ("actor", "event_id")
    kind = django_filters.ChoiceFilter(choices=BackupAccess.Kind.choices, label=_("Kind"))
    expected = django_filters.BooleanFilter(label=_("Expected"))


class AccessTable(ListTable):
    """When, backup, kind, who, channel, expected (with its ceremony) or the finding's state."""

    filter_class = AccessFilter
    export = "keys.backup_accesses"

    at = tables.Column(verbose_name=_("At"))
    backup = tables.Column(verbose_name=_("Backup"), accessor="backup__label")
    kind = tables.Column(verbose_name=_("Kind"))
    actor = tables.Column(verbose_name=_("Who"))
    channel = tables.Column(verbose_name=_("Channel"))
    expected = tables.Column(verbose_name=_("Expected"), empty_values=())
    event_id = tables.Column(verbose_name=_("Event id"))

    class Meta(ListTable.Meta):
        order_by = ("-at",)

    def render_at(self, value: Any) -> str:
        """When the access happened."""
        return _when(value)

    def render_kind(self, record: BackupAccess) -> str:
        """The kind of access, in words."""
        return str(record.get_kind_display())

    def render_channel(self, record: BackupAccess) -> str:
        """How it was reported."""
        return str(record.get_channel_display())

    def render_expected(self, record: BackupAccess) -> Any:
        """Expected (during which ceremony), or unexpected and open or acknowledged."""
        if record.expected and record.ceremony_id:
            url = reverse("keys:ceremony_detail", args=[record.ceremony_id])
            return format_html(
                '<span class="status-ok">{}</span> (<a href="{}">{}</a>)',
                _("expected"),
                url,
                record.ceremony.title if record.ceremony else "",
            )
        if record.acknowledged_at is None:
            return format_html('<strong class="status-bad">{}</strong>', _("unexpected: open"))
        return format_html("{}: {}", _("unexpected, acknowledged"), record.acknowledged_reason)

    def value_expected(self, record: BackupAccess) -> str:
        """expected, open or acknowledged."""
        if record.expected:
            return "expected"
        return "open" if record.acknowledged_at is None else "acknowledged"
