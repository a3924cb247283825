"""Template filters of reconciliation: a case's log line in the reader's language."""

from __future__ import annotations

from django import template

from mamori.reconciliation import case_log

register = template.Library()


@register.filter
def case_line(text: str) -> str:
    """Return a case log line in the active language."""
    return case_log.shown(text)
