"""The wallets list of the key inventory (:mod:`mamori.core.tables`)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.keys.models import Wallet

__all__ = ["WalletFilter", "WalletTable"]


class WalletFilter(ListFilter):
    """Filter wallets by scheme and hot or not; search names, chains and assets."""

    search_fields: ClassVar[tuple[str, ...]] = ("name", "chain", "asset")
    scheme = django_filters.ChoiceFilter(choices=Wallet.Scheme.choices, label=_("Scheme"))
    hot = django_filters.BooleanFilter(label=_("Hot wallet"))


class WalletTable(ListTable):
    """Name, chain, asset, scheme, hot, keys, rules violated."""

    filter_class = WalletFilter
    export = "keys.wallets"

    name = tables.Column(verbose_name=_("Wallet"))
    chain = tables.Column(verbose_name=_("Chain"))
    asset = tables.Column(verbose_name=_("Asset"))
    scheme = tables.Column(verbose_name=_("Scheme"))
    hot = tables.BooleanColumn(verbose_name=_("Hot"))
    key_count = tables.Column(verbose_name=_("Keys"), orderable=False, empty_values=())
    violated = tables.Column(verbose_name=_("Rules violated"), orderable=False, empty_values=())

    class Meta(ListTable.Meta):
        order_by = ("name",)

    def render_name(self, record: Wallet) -> Any:
        """The wallet's name, linked to it."""
        return format_html(
            '<a href="{}">{}</a>', reverse("keys:wallet", args=[record.pk]), record.name
        )

    def value_name(self, record: Wallet) -> str:
        """The wallet's name."""
        return record.name

    def render_scheme(self, record: Wallet) -> str:
        """The scheme with m and n."""
        return record.scheme_label()

    def value_scheme(self, record: Wallet) -> str:
        """The scheme with m and n."""
        return record.scheme_label()

    def render_key_count(self, record: Wallet) -> int:
        """How many keys and shares it has."""
        return record.keys.count()

    def value_key_count(self, record: Wallet) -> int:
        """How many keys and shares it has."""
        return record.keys.count()

    def render_violated(self, record: Wallet) -> Any:
        """How many checks it violates, red when any."""
        count = record.results.filter(holds=False).count()
        if not count:
            return format_html('<span class="status-ok">{}</span>', 0)
        return format_html('<strong class="status-bad">{}</strong>', count)

    def value_violated(self, record: Wallet) -> int:
        """How many checks it violates."""
        return int(record.results.filter(holds=False).count())
