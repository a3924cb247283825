"""How a leak-response document's approval request is shown (ISM 30-1, 30-4): a title in the
reader's language and a link to the version to read before deciding."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from mamori.accounts import approval_display as display
from mamori.accounts.models import ApprovalRequest
from mamori.keys.leak import KIND
from mamori.keys.models import ResponseDocument, ResponseVersion


def _title(snapshot: dict[str, Any]) -> str:
    label = dict(ResponseDocument.Kind.choices).get(snapshot["document"], snapshot["document"])
    return _("Approve the %(document)s, version %(number)s") % {
        "document": label,
        "number": snapshot["number"],
    }


def _links(item: ApprovalRequest) -> list[display.Link]:
    version = ResponseVersion.objects.filter(approval=item).first()
    if version is None:
        return []
    url = reverse("keys:leak_version", args=[version.pk])
    return [display.Link(_("The version to approve"), url)]


def register() -> None:
    """Declare how leak-response approvals are shown."""
    display.register_display(KIND, title=_title, links=_links)
