"""How a key-holder grant change is shown to its approvers (ISM 31-4)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from mamori.accounts import approval_display as display
from mamori.accounts.models import ApprovalRequest

__all__ = ["register"]


def _title(snapshot: dict[str, Any]) -> str:
    from mamori.keys.models import EntitlementChange

    action = dict(EntitlementChange.Action.choices).get(snapshot["action"], snapshot["action"])
    return _("%(action)s of the role %(role)s in %(system)s for %(person)s") % {
        "action": action,
        "role": snapshot["role"],
        "system": snapshot["system"],
        "person": snapshot["person"],
    }


def _context(item: ApprovalRequest) -> dict[str, Any]:
    snapshot = item.snapshot
    return {
        "sentence": _title(snapshot),
        "details": [
            (_("system"), snapshot["system"]),
            (_("person"), snapshot["person"]),
            (_("role"), snapshot["role"]),
            (_("previous role"), snapshot.get("previous_role") or "—"),
            (_("reason"), snapshot.get("reason") or "—"),
        ],
    }


def _links(item: ApprovalRequest) -> list[display.Link]:
    from mamori.keys.models import KeySystem

    system = KeySystem.objects.filter(name=item.snapshot["system"]).first()
    if system is None:
        return []
    return [display.link_to(system.name, "keys:system", system.pk)]


def register() -> None:
    """Declare how ``keys.entitlement`` requests are shown."""
    from mamori.keys.entitlements import KIND

    display.register_display(KIND, title=_title, context=_context, links=_links)
