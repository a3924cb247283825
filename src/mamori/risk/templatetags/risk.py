"""Template filters of the risk pages."""

from __future__ import annotations

from django import template

from mamori.risk.models.scenarios import OPTION_LABELS

register = template.Library()


@register.filter
def option_label(option: str) -> str:
    """Return a treatment option (reduce, avoid, share, accept) in the reader's language."""
    return str(OPTION_LABELS.get(option, option))
