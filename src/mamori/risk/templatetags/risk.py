"""Template filters of the risk pages."""

from __future__ import annotations

from django import template

from mamori.risk.models.scenarios import OPTION_LABELS

register = template.Library()


@register.filter
def option_label(option: str) -> str:
    """Return a treatment option (reduce, avoid, share, accept) in the reader's language."""
    return str(OPTION_LABELS.get(option, option))


#: Reasons the services write in English into a rating's history, said in the reader's
#: language (ISM 12-3's record stays as written).
_TREATED = "treatment decided: "
_IMPORTED = "imported from Excel"


@register.filter
def change_reason(reason: str) -> str:
    """Return the reason of a rating change in the reader's language when mamori wrote it."""
    from django.utils.translation import gettext as _

    if reason.startswith(_TREATED):
        option = option_label(reason.removeprefix(_TREATED))
        return _("treatment decided: %(option)s") % {"option": option}
    if reason == _IMPORTED:
        return _("imported from Excel")
    return reason
