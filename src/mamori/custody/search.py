"""What the global search finds in custody, for those who may read it (``custody.view``):
withdrawal addresses by address, label or customer (ISM 29) and custody alerts by title or
topic (ISM 27-3)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.core.search import Hit, Source, matching, register_source
from mamori.custody.models import AllowedAddress
from mamori.notifications.models import Notification

VIEW = "custody.view"


def _addresses(user: User, text: str) -> QuerySet[AllowedAddress]:
    return (
        AllowedAddress.objects.filter(matching(text, "address", "label", "customer"))
        .select_related("asset")
        .order_by("-requested_at")
    )


def _address(row: AllowedAddress) -> Hit:
    url = reverse("custody:overview") + "?" + urlencode({"allowlist-q": row.address})
    return Hit(
        f"{row.asset.code} {row.address}",
        row.label or row.customer,
        url + "#allowlist",
        str(row.get_status_display()),
    )


def _alerts(user: User, text: str) -> QuerySet[Notification]:
    return Notification.objects.filter(
        matching(text, "title_ja", "title_en", "topic"), topic__startswith="custody."
    ).order_by("-created_at")


def _alert(alert: Notification) -> Hit:
    url = reverse("custody:overview") + "?" + urlencode({"alerts-q": alert.title})
    return Hit(
        timezone.localtime(alert.created_at).strftime("%Y-%m-%d %H:%M"),
        alert.title,
        url + "#alerts",
        str(alert.get_severity_display()),
    )


def register() -> None:
    """Register withdrawal addresses and custody alerts with the search."""
    register_source(Source("addresses", _("Withdrawal addresses"), VIEW, _addresses, _address, 55))
    register_source(Source("alerts", _("Custody alerts"), VIEW, _alerts, _alert, order=58))
