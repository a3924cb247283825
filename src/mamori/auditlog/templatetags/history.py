"""``{% history record %}``: the History section of any record page, from the audit log."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Model

from mamori.accounts.services.roles import has_permission
from mamori.auditlog import history as trail
from mamori.auditlog.links import label_of

register = template.Library()


@register.inclusion_tag("auditlog/_history.html", takes_context=True)
def history(context: template.Context, record: Model, limit: int = 50) -> dict[str, Any]:
    """Render ``record``'s newest entries: who, when, what changed, why, and the log index
    linked to the entry's page with its inclusion proof (for those who may read the log)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "lines": trail.of(record, limit),
        "object_type": label_of(record),
        "object_id": str(record.pk),
        "limit": limit,
        "can_read_log": has_permission(user, "auditlog.view"),
    }
