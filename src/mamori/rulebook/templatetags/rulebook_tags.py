"""Template filters of the rulebook: status and strength labels in the active language."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

_STATUS = {
    "compliant": _("compliant"),
    "partial": _("partially compliant"),
    "non_compliant": _("non-compliant"),
    "not_applicable": _("not applicable"),
}
_STRENGTH = {
    "must": _("must"),
    "must_not": _("must not"),
    "endeavour": _("endeavour"),
    "shall": _("shall"),
    "may": _("may"),
    "informative": _("informative"),
}


@register.filter
def status_label(value: str) -> str:
    """Return the label of a compliance status value."""
    return str(_STATUS.get(value, value or "—"))


@register.filter
def strength_label(value: str) -> str:
    """Return the label of an obligation strength."""
    return str(_STRENGTH.get(value, value))
