"""The custody lists: decisions that were not plain allows, withdrawal address registrations
(:mod:`mamori.core.tables`)."""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.custody.models import AllowedAddress, Asset, MonitorRecord
from mamori.notifications.models import Delivery, Notification

__all__ = [
    "AddressFilter",
    "AddressTable",
    "AlertFilter",
    "AlertTable",
    "DecisionFilter",
    "DecisionTable",
    "flagged",
]

DECISIONS = (
    ("hold", "hold"),
    ("reject", "reject"),
    ("halt", "halt"),
    ("allow", "allow"),
)


def flagged() -> QuerySet[MonitorRecord]:
    """Return the decided events that were not plain allows, newest first."""
    return (
        MonitorRecord.objects.filter(kind=MonitorRecord.Kind.EVENT)
        .exclude(action="allow", reasons=[])
        .order_by("-pk")
    )


class DecisionFilter(ListFilter):
    """Filter decisions by decision and search their event ids."""

    search_fields: ClassVar[tuple[str, ...]] = ("event_id",)
    action = django_filters.ChoiceFilter(choices=DECISIONS, label=_("Decision"))
    since = django_filters.DateFilter(
        field_name="recorded_at", lookup_expr="date__gte", label=_("From")
    )
    until = django_filters.DateFilter(
        field_name="recorded_at", lookup_expr="date__lte", label=_("Until")
    )


class DecisionTable(ListTable):
    """Decisions: number, event, decision, reasons, when."""

    filter_class = DecisionFilter
    export = "custody.decisions"

    pk = tables.Column(verbose_name="#", order_by=("pk",))
    event_id = tables.Column(verbose_name=_("Event"))
    action = tables.Column(verbose_name=_("Decision"))
    reasons = tables.Column(verbose_name=_("Reasons"), orderable=False)
    recorded_at = tables.DateTimeColumn(verbose_name=_("When"), format="Y-m-d H:i:s")

    class Meta(ListTable.Meta):
        order_by = ("-pk",)

    def render_action(self, value: str) -> Any:
        """Show a halt or rejection as bad, a hold as a warning."""
        css = {"halt": "status-bad", "reject": "status-bad", "hold": "status-warn"}.get(value, "")
        return format_html('<span class="{}">{}</span>', css, value)

    def value_action(self, value: str) -> str:
        """The decision as text."""
        return value

    def render_reasons(self, value: list[dict[str, Any]]) -> Any:
        """Each reason's code as a tag and its words in the reader's language (a reached
        threshold with its amounts formatted)."""
        return format_html_join(
            "",
            '<span class="tag">{}</span> {}<br>',
            ((r.get("code", ""), self._said(r)) for r in value),
        )

    def _said(self, reason: dict[str, Any]) -> str:
        """What a stored reason says to the reader: a reached threshold with its amounts in
        coins or yen (looked up once per rule and figures for the whole table), any other
        reason translated from its code."""
        from django.utils.translation import get_language

        from mamori.custody.reasons import reason_text
        from mamori.custody.services.alerts import reached_text

        if not (reason.get("observed") and reason.get("limit")):
            return reason_text(str(reason.get("code", "")), reason)
        key = (reason.get("rule"), reason["observed"], reason["limit"])
        known: dict[Any, tuple[str, str]] = self.__dict__.setdefault("_reached", {})
        if key not in known:
            known[key] = reached_text(*key, reason.get("message", ""))
        ja, en = known[key]
        return ja if (get_language() or "ja").startswith("ja") else en

    def value_reasons(self, value: list[dict[str, Any]]) -> str:
        """The reasons' codes and words, one after the other."""
        return "; ".join(f"{r.get('code', '')}: {r.get('message', '')}" for r in value)


class AddressFilter(ListFilter):
    """Filter registrations by asset and status; search customers, addresses and labels."""

    search_fields: ClassVar[tuple[str, ...]] = ("customer", "address", "label")
    asset = django_filters.ModelChoiceFilter(
        queryset=Asset.objects.all(), field_name="asset", to_field_name="code", label=_("Asset")
    )
    status = django_filters.ChoiceFilter(choices=AllowedAddress.Status.choices, label=_("Status"))


class AddressTable(ListTable):
    """Withdrawal address registrations: customer, asset, address, status, usable from."""

    filter_class = AddressFilter
    export = "custody.allowlist"

    customer = tables.Column(verbose_name=_("Customer"))
    asset = tables.Column(verbose_name=_("Asset"), order_by=("asset__code",))
    address = tables.Column(
        verbose_name=_("Address"),
        attrs={"td": {"class": "secret"}},
        linkify=("custody:address", {"pk": tables.A("pk")}),
    )
    status = tables.Column(verbose_name=_("Status"))
    requested_at = tables.DateTimeColumn(verbose_name=_("Requested at"), format="Y-m-d H:i")
    usable_from = tables.DateTimeColumn(verbose_name=_("Usable from"), format="Y-m-d H:i")

    class Meta(ListTable.Meta):
        order_by = ("-requested_at",)

    def render_status(self, record: AllowedAddress) -> Any:
        """The status, linked to its approval request."""
        return format_html(
            '<a href="{}">{}</a>',
            reverse("accounts:approval", args=[record.approval_id]),
            record.get_status_display(),
        )

    def value_status(self, record: AllowedAddress) -> str:
        """The status as text."""
        return str(record.get_status_display())


class AlertFilter(ListFilter):
    """Filter custody alerts by severity and acknowledgement; search titles and topics."""

    search_fields: ClassVar[tuple[str, ...]] = ("title_ja", "title_en", "topic")
    severity = django_filters.ChoiceFilter(
        choices=Notification.Severity.choices, label=_("Severity")
    )
    state = django_filters.ChoiceFilter(
        choices=(("waiting", _("waiting")), ("acknowledged", _("Acknowledged"))),
        method="_state",
        label=_("Acknowledged"),
    )

    def _state(
        self, queryset: QuerySet[Notification], name: str, value: str
    ) -> QuerySet[Notification]:
        """Keep the alerts still waiting for acknowledgement, or those acknowledged."""
        if value == "waiting":
            return queryset.filter(requires_ack=True, acknowledged_at__isnull=True)
        return queryset.filter(acknowledged_at__isnull=False)


class AlertTable(ListTable):
    """When, severity, title (linked for its recipients), acknowledged (with the button)."""

    filter_class = AlertFilter
    export = "custody.alerts"

    created_at = tables.DateTimeColumn(verbose_name=_("When"), format="Y-m-d H:i:s")
    severity = tables.Column(verbose_name=_("Severity"))
    title = tables.Column(verbose_name=_("Title"), accessor="pk", orderable=False)
    acknowledged = tables.Column(
        verbose_name=_("Acknowledged"), accessor="acknowledged_at", empty_values=()
    )

    class Meta(ListTable.Meta):
        order_by = ("-created_at",)

    @cached_property
    def _mine(self) -> set[int]:
        """The alerts on this page delivered to the reader."""
        request = getattr(self, "request", None)
        if request is None:
            return set()
        page = getattr(self, "page", None)
        shown = [row.record.pk for row in page.object_list] if page is not None else []
        return set(
            Delivery.objects.filter(
                user_id=request.user.pk or 0, notification_id__in=shown
            ).values_list("notification_id", flat=True)
        )

    def render_severity(self, record: Notification) -> Any:
        """The severity in words, coloured."""
        return format_html(
            '<span class="severity-{}">{}</span>', record.severity, record.get_severity_display()
        )

    def value_severity(self, record: Notification) -> str:
        """The severity in words."""
        return str(record.get_severity_display())

    def render_title(self, record: Notification) -> Any:
        """The title, linked for the people it was sent to."""
        if record.pk in self._mine:
            link = reverse("notifications:detail", args=[record.pk])
            return format_html('<a href="{}">{}</a>', link, record.title)
        return record.title

    def value_title(self, record: Notification) -> str:
        """The title."""
        return record.title

    def value_acknowledged(self, record: Notification) -> str:
        """Who acknowledged it and when, that it waits, or that it needs none."""
        if record.acknowledged_at:
            when = date_format(localtime(record.acknowledged_at), "Y-m-d H:i")
            return f"{record.acknowledged_by or ''} {when}".strip()
        return str(_("waiting")) if record.requires_ack else "—"

    def render_acknowledged(self, record: Notification) -> Any:
        """As :meth:`value_acknowledged`, with the button for a recipient while it waits."""
        shown = self.value_acknowledged(record)
        if record.acknowledged_at or not record.requires_ack:
            return shown
        waiting = format_html('<span class="status-bad">{}</span>', shown)
        if record.pk not in self._mine:
            return waiting
        return format_html(
            '{} <form method="post" action="{}" class="inline">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<input type="hidden" name="next" value="{}#alerts">'
            '<button type="submit">{}</button></form>',
            waiting,
            reverse("notifications:acknowledge", args=[record.pk]),
            get_token(self.request),
            reverse("custody:overview"),
            _("Acknowledge"),
        )
