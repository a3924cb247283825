"""How a signing-key rotation request is shown."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from mamori.accounts import approval_display as display
from mamori.accounts.models import ApprovalRequest


def _key_id(new_key: str) -> str:
    parts = new_key.strip().split("+")
    return parts[1] if len(parts) > 1 else new_key[:16]


def _title(snapshot: dict[str, Any]) -> str:
    return _("Rotate the %(purpose)s signing key to %(key)s") % {
        "purpose": snapshot["purpose"],
        "key": _key_id(snapshot["new_key"]),
    }


def _context(item: ApprovalRequest) -> dict[str, Any]:
    snapshot = item.snapshot
    return {
        "sentence": _title(snapshot),
        "details": [
            (_("purpose"), snapshot["purpose"]),
            (_("current key"), snapshot.get("current_key_id") or "—"),
            (_("new key"), _key_id(snapshot["new_key"])),
            (_("new public key"), snapshot["new_key"]),
        ],
    }


def register() -> None:
    """Register how key rotations are shown."""
    from mamori.auditlog import keys

    display.register_display(
        keys.KIND,
        template="accounts/approval_kinds/sentence.html",
        title=_title,
        context=_context,
        links=lambda item: [display.link_to(_("Audit log"), "auditlog:entries")],
    )
