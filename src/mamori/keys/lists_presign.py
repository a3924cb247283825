"""The lists of the pre-sign page (ISM 29-1-4): withdrawals waiting to be signed, answers."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.keys.models import PresignAnswer, WithdrawalIntent

__all__ = ["AnswerTable", "IntentTable"]


class IntentFilter(ListFilter):
    """Filter intents by state and asset; search ids, customers and destinations."""

    search_fields: ClassVar[tuple[str, ...]] = ("event_id", "customer", "destination")
    state = django_filters.ChoiceFilter(choices=WithdrawalIntent.State.choices, label=_("State"))
    asset = django_filters.CharFilter(label=_("Asset"))


class IntentTable(ListTable):
    """Request, customer, asset, amount, destination, state, approved, signed."""

    filter_class = IntentFilter
    export = "keys.intents"

    event_id = tables.Column(verbose_name=_("Withdrawal request"))
    customer = tables.Column(verbose_name=_("Customer"))
    asset = tables.Column(verbose_name=_("Asset"))
    amount = tables.Column(verbose_name=_("Amount (base units)"))
    destination = tables.Column(verbose_name=_("Destination"))
    state = tables.Column(verbose_name=_("State"))
    approved_at = tables.DateTimeColumn(verbose_name=_("Approved"))
    signed_at = tables.DateTimeColumn(verbose_name=_("Signed"))

    class Meta(ListTable.Meta):
        order_by = ("-decided_at",)

    def render_amount(self, record: WithdrawalIntent) -> str:
        """The amount in base units, exact."""
        return f"{int(record.amount):,}"

    def value_amount(self, record: WithdrawalIntent) -> str:
        """The amount in base units, as digits."""
        return str(record.amount)

    def render_state(self, record: WithdrawalIntent) -> str:
        """The state, in words."""
        return str(record.get_state_display())


class AnswerFilter(ListFilter):
    """Filter answers by decision; search wallets, callers and hashes."""

    search_fields: ClassVar[tuple[str, ...]] = ("wallet_name", "caller", "tx_hash")
    decision = django_filters.ChoiceFilter(
        choices=PresignAnswer.Decision.choices, label=_("Answer")
    )


class AnswerTable(ListTable):
    """When, wallet, who asked, kind, hash, answer, reasons."""

    filter_class = AnswerFilter
    export = "keys.presign_answers"

    at = tables.DateTimeColumn(verbose_name=_("Answered at"))
    wallet_name = tables.Column(verbose_name=_("Wallet"))
    caller = tables.Column(verbose_name=_("Asked by"))
    kind = tables.Column(verbose_name=_("Kind"))
    tx_hash = tables.Column(verbose_name=_("Hash to be signed"))
    decision = tables.Column(verbose_name=_("Answer"))
    codes = tables.Column(verbose_name=_("Reasons"), orderable=False, empty_values=())

    class Meta(ListTable.Meta):
        order_by = ("-at",)

    def render_at(self, record: PresignAnswer) -> Any:
        """When it was answered, linked to the answer."""
        return format_html(
            '<a href="{}">{}</a>',
            reverse("keys:presign_answer", args=[record.pk]),
            record.at.strftime("%Y-%m-%d %H:%M:%S"),
        )

    def value_at(self, record: PresignAnswer) -> str:
        """When it was answered (ISO 8601)."""
        return record.at.isoformat()

    def render_tx_hash(self, record: PresignAnswer) -> Any:
        """The hash, shortened; in full on hover."""
        short = record.tx_hash[:18] + "…" if len(record.tx_hash) > 18 else record.tx_hash
        return format_html('<code title="{}">{}</code>', record.tx_hash, short or "—")

    def render_decision(self, record: PresignAnswer) -> Any:
        """Sign in green, refuse in red."""
        css = "status-ok" if record.decision == PresignAnswer.Decision.SIGN else "status-bad"
        return format_html('<strong class="{}">{}</strong>', css, record.get_decision_display())

    def render_codes(self, record: PresignAnswer) -> Any:
        """The reasons' codes."""
        codes = ", ".join(str(r["code"]) for r in record.reasons)
        return format_html("<code>{}</code>", codes) if codes else "—"

    def value_codes(self, record: PresignAnswer) -> str:
        """The reasons' codes."""
        return ", ".join(str(r["code"]) for r in record.reasons)
