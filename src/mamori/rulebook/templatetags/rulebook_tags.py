"""Template filters of the rulebook: status, strength and how-known labels in the active
language."""

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
_KNOWN = {
    "measured": _("met by measurement"),
    "workflow": _("met by workflow"),
    "document_only": _("met by reviewed documents only"),
    "decided": _("met by approved decision"),
    "none": _("not met"),
    "not_applicable": _("not applicable"),
}
_KIND = {
    "measured": _("measured"),
    "workflow": _("workflow"),
    "document": _("reviewed document"),
    "self": _("mamori's own health"),
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


@register.filter
def known_label(value: str) -> str:
    """Return the label of how a requirement is met (``measured``, ``document_only``, …)."""
    return str(_KNOWN.get(value, value))


@register.filter
def kind_label(value: str) -> str:
    """Return the label of a control kind."""
    return str(_KIND.get(value, value))


@register.filter
def kinds_label(values: tuple[str, ...]) -> str:
    """Return the labels of several control kinds, joined."""
    return " · ".join(kind_label(v) for v in values)
