"""Template filters of approvals: a request's title in the viewer's language."""

from __future__ import annotations

from django import template

from mamori.accounts import approval_display
from mamori.accounts.models import ApprovalRequest

register = template.Library()


@register.filter
def approval_title(item: ApprovalRequest) -> str:
    """Return what ``item`` asks for, in the active language."""
    return approval_display.title_of(item)
