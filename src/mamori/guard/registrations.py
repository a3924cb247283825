"""What guard brings: pages, the edge scope, the kill switch's approval kind, the containment
check, the incident page's panel, audit links and the demo step."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission
from mamori.core.navigation import register_page
from mamori.core.scopes import register_scope


def _can_view(request: HttpRequest) -> bool:
    return has_permission(request.user, "guard.view")


def _restore_title(snapshot: dict[str, Any]) -> str:
    from django.utils.translation import gettext

    return gettext("Switch %(function)s back on (now %(state)s): %(why)s") % {
        "function": snapshot.get("function", "?"),
        "state": snapshot.get("from", "?"),
        "why": snapshot.get("why", ""),
    }


def _panel() -> None:
    """Add the containment section to the incident page."""
    from mamori.guard.views import panel_context
    from mamori.operations import panels

    panels.register_panel("guard/_incident_panel.html", panel_context, order=200)


def register() -> None:
    """Register everything guard brings."""
    from mamori.accounts import approval_display
    from mamori.accounts.services import approvals
    from mamori.auditlog.links import register_link
    from mamori.core.demo import register_demo_loader
    from mamori.guard import compliance, demo
    from mamori.guard.services import functions

    register_scope(
        "guard:read",
        _("read the block list and the kill switch's states (the edge, the exchange's services)"),
        "guard.edge",
    )
    register_page(
        "operations", _("Containment and kill switch (SRM 10-2)"), "guard:index", _can_view
    )
    register_page("operations", _("Blocked sources (SRM 10-2-1)"), "guard:blocks", _can_view)
    register_page("operations", _("Customer notices (SRM 10-6-3)"), "guard:notices", _can_view)
    approvals.register_kind(functions.KIND, policy=functions.POLICY, apply=functions.apply_restore)
    approval_display.register_display(functions.KIND, title=_restore_title)
    compliance.register()
    register_link("guard.blockedsource", lambda _pk: reverse("guard:blocks"))
    register_link("guard.function", lambda _pk: reverse("guard:index"))
    register_link("guard.notice", "guard:notice")
    _panel()
    register_demo_loader("guard", demo.load, order=720)
    register_demo_loader("guard.incident_story", demo.load_incident_story, order=730)
