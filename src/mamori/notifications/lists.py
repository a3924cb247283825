"""The notifications list: a person's inbox (:mod:`mamori.core.tables`)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext as _now
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.notifications.models import Delivery, Notification

__all__ = ["InboxFilter", "InboxTable"]

STATES = (("waiting", _("waiting")), ("acknowledged", _("Acknowledged")))


class InboxFilter(ListFilter):
    """Filter by severity, topic and acknowledgement; search titles and topics."""

    search_fields: ClassVar[tuple[str, ...]] = (
        "notification__title_ja",
        "notification__title_en",
        "notification__topic",
    )
    severity = django_filters.ChoiceFilter(
        field_name="notification__severity",
        choices=Notification.Severity.choices,
        label=_("Severity"),
    )
    state = django_filters.ChoiceFilter(choices=STATES, method="_state", label=_("Acknowledged"))

    def _state(self, queryset: QuerySet[Delivery], name: str, value: str) -> QuerySet[Delivery]:
        """Keep the notifications still waiting for acknowledgement, or those acknowledged."""
        if value == "waiting":
            return queryset.filter(
                notification__requires_ack=True, notification__acknowledged_at__isnull=True
            )
        return queryset.filter(notification__acknowledged_at__isnull=False)


class InboxTable(ListTable):
    """When, severity, title, acknowledged."""

    filter_class = InboxFilter
    export = "notifications.inbox"

    created_at = tables.DateTimeColumn(
        verbose_name=_("When"), accessor="notification__created_at", format="Y-m-d H:i:s"
    )
    severity = tables.Column(verbose_name=_("Severity"), accessor="notification__severity")
    title = tables.Column(verbose_name=_("Title"), accessor="notification", orderable=False)
    acknowledged = tables.Column(
        verbose_name=_("Acknowledged"),
        accessor="notification__acknowledged_at",
        default="—",
    )

    class Meta(ListTable.Meta):
        order_by = ("-created_at",)
        row_attrs: ClassVar[dict[str, Any]] = {
            "class": lambda record: "" if record.read_at else "unread"
        }

    def render_severity(self, record: Delivery) -> Any:
        """The severity in words, coloured."""
        n = record.notification
        return format_html(
            '<span class="severity-{}">{}</span>', n.severity, n.get_severity_display()
        )

    def value_severity(self, record: Delivery) -> str:
        """The severity in words."""
        return str(record.notification.get_severity_display())

    def render_title(self, value: Notification) -> Any:
        """The title, linked to the notification."""
        return format_html(
            '<a href="{}">{}</a>', reverse("notifications:detail", args=[value.pk]), value.title
        )

    def value_title(self, value: Notification) -> str:
        """The title."""
        return value.title

    def render_acknowledged(self, record: Delivery) -> Any:
        """Who acknowledged it and when, or that it waits."""
        n = record.notification
        if n.acknowledged_at:
            when = date_format(localtime(n.acknowledged_at), "Y-m-d H:i")
            return f"{n.acknowledged_by or ''} {when}".strip()
        return format_html('<span class="status-bad">{}</span>', _now("waiting"))

    def value_acknowledged(self, record: Delivery) -> str:
        """Who acknowledged it and when, or that it waits."""
        return str(self.render_acknowledged(record))
