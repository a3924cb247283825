"""What the custody monitor's reason codes say, in the reader's language (issue 25, point 5).

The threshold engine stays free of Django: its reasons carry a stable code, the rule and the
observed and limit values, and an English message for logs and the API. What people read is
made here from the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy

__all__ = ["REASONS", "reason_text"]

#: A reason code → what it says; ``%(rule)s`` names the rule that gave it.
REASONS = {
    "threshold.notify": gettext_lazy("the threshold %(rule)s is reached (notify)"),
    "threshold.hold": gettext_lazy("the threshold %(rule)s is reached (hold for approval)"),
    "threshold.halt": gettext_lazy("the threshold %(rule)s is reached (halt)"),
    "halted": gettext_lazy("withdrawals are halted (%(rule)s)"),
    "halt_ordered": gettext_lazy("a halt was ordered (%(rule)s)"),
    "no_price": gettext_lazy("no price is known to value the amount in JPY"),
    "bad_time": gettext_lazy("the time of the event cannot be used"),
    "bad_amount": gettext_lazy("the amount is not valid"),
    "bad_scope": gettext_lazy("the halt scope is unknown"),
    "unknown_asset": gettext_lazy("the asset is unknown"),
    "no_customer": gettext_lazy("the customer is missing"),
    "journal_quarantined": gettext_lazy(
        "the monitor's journal holds an unreadable record for this id; it must be repaired"
    ),
    "unknown_address": gettext_lazy("the destination is not an approved address of the customer"),
    "cooling_down": gettext_lazy("the destination is still in its cool-down period"),
    "malformed_address": gettext_lazy("the destination address is not valid"),
    "unregistered_wallet": gettext_lazy("the destination is not a registered wallet"),
}


def reason_text(code: str, reason: Mapping[str, Any] | None = None) -> str:
    """Return what the reason ``code`` says in the active language; its English message (or
    the code) when the code has no text here."""
    text = REASONS.get(code)
    reason = reason or {}
    if text is None:
        return str(reason.get("message") or code)
    return str(text) % {"rule": reason.get("rule") or "—"}
