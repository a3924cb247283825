"""What configuration imports bring: the page, the API scopes and the link from the audit log
to a run (SRM 12-4)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def _run_url(object_id: str) -> str | None:
    return reverse("operations:cmdb_imports") if str(object_id).isdigit() else None


def register_cmdb_import() -> None:
    """Register the imports page, the ``cmdb:import`` and ``cmdb:read`` scopes and the link."""
    from mamori.auditlog.links import register_link
    from mamori.core.navigation import register_page
    from mamori.core.scopes import register_scope

    register_link("operations.importrun", _run_url)
    register_page("operations", _("Configuration imports (SRM 12-4)"), "operations:cmdb_imports")
    register_scope("cmdb:import", _("import configuration items from a source file"), "cmdb.import")
    register_scope("cmdb:read", _("read the configuration imports"), "changes.view")
