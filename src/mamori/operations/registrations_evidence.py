"""What pipeline evidence brings (SRM 15, 16, 19): its API scopes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register_evidence() -> None:
    """Declare the scopes of the evidence API."""
    from mamori.core.scopes import register_scope

    register_scope("changes:evidence", _("send pipeline evidence for a change"), "changes.evidence")
    register_scope("changes:read", _("read changes and their evidence"), "changes.view")
