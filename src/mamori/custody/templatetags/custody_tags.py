"""Template filters of custody: a monitor reason in the reader's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from mamori.custody.reasons import REASONS, reason_text

register = template.Library()


@register.filter
def reason_shown(reason: dict[str, Any]) -> str:
    """Return what a stored reason (code, message, rule, observed, limit) says, translated;
    a reached threshold adds the observed value and the limit."""
    code = str(reason.get("code", ""))
    text = reason_text(code, reason)
    if code in REASONS and reason.get("observed") not in (None, "") and reason.get("limit"):
        text += " " + _("(observed %(observed)s, limit %(limit)s)") % {
            "observed": reason["observed"],
            "limit": reason["limit"],
        }
    return text
