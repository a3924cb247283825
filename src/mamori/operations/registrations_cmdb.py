"""What the configuration register brings: the compliance checks, pages, the API scope, links
to items and the demo step (SRM 7-2, 12-2..6)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def _item_url(object_id: str) -> str | None:
    from mamori.operations.models import ConfigurationItem

    if not str(object_id).isdigit():
        return None
    if not ConfigurationItem.objects.filter(pk=object_id).exists():
        return None
    return reverse("operations:cmdb_item", args=[int(object_id)])


def register_cmdb() -> None:
    """Register everything the configuration register brings."""
    from mamori.auditlog.links import register_link
    from mamori.core.demo import register_demo_loader
    from mamori.core.navigation import register_page
    from mamori.core.scopes import register_scope
    from mamori.operations import compliance_cmdb, demo_cmdb

    compliance_cmdb.register()
    register_link("operations.configurationitem", _item_url)
    register_page("operations", _("Configuration items (SRM 7-2, 12)"), "operations:cmdb_items")
    register_page(
        "operations",
        _("Configuration-management evaluation (SRM 12)"),
        "operations:cmdb_evaluation",
    )
    register_scope("cmdb:read", _("read the configuration register"), "cmdb.view")
    register_demo_loader("operations-cmdb", demo_cmdb.load, order=557)
