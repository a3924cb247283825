"""What the contingency plans, drills, post-incident reviews and the CSIRT bring: the approval
kind, the close check, the compliance checks, pages, hooks and the demo step (SRM 5-2, 9;
ISM 3, 30-3)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission


def _can_view(request: HttpRequest) -> bool:
    return has_permission(request.user, "incidents.view")


def _leader_changed(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """A change in who holds a leader role flags every plan for review (SRM 5-2)."""
    from mamori.operations.services import drills, plans

    if kwargs.get("raw") or instance.role.code not in drills.LEADER_ROLES:
        return
    what = "granted" if instance.revoked_at is None else "revoked"
    plans.flag_review(f"{instance.role.code} {what}: {instance.user.get_username()}")


def _runbook_approved(request: Any) -> None:
    """A new leak-response runbook approved (ISM 30-1) flags the crypto-asset-leak plan that
    points at the runbook for review."""
    from mamori.keys import leak
    from mamori.operations.services import plans

    if (
        request.kind == leak.KIND
        and request.status == "approved"
        and request.snapshot.get("document") == "runbook"
    ):
        plans.flag_review(
            f"leak-response runbook v{request.snapshot.get('number')} approved",
            ["crypto_asset_leak"],
        )


def register_bcp() -> None:
    """Register everything the plans, drills, reviews and CSIRT bring."""
    from mamori.accounts.models import RoleAssignment
    from mamori.accounts.services import approvals
    from mamori.auditlog.links import register_link
    from mamori.core.demo import register_demo_loader
    from mamori.core.navigation import register_page
    from mamori.operations import compliance_bcp, demo_bcp, panels, views_reviews
    from mamori.operations.services import incidents, plans, reviews

    panels.register_panel("operations/_review_panel.html", views_reviews.review_panel_context, 30)
    approvals.register_kind(plans.KIND, policy=plans.POLICY, apply=plans.apply_approval)
    approvals.on_closed(plans.on_closed)
    approvals.on_closed(_runbook_approved)
    incidents.register_close_check(reviews.close_check)
    compliance_bcp.register()
    register_link("operations.plandrill", "operations:drill")
    register_link("operations.csirtmember", "operations:csirt_member")
    register_page(
        "operations", _("Contingency plans (SRM 5-2, ISM 3)"), "operations:plans", _can_view
    )
    register_page("operations", _("Contingency drills (SRM 5-2)"), "operations:drills", _can_view)
    register_page("operations", _("Follow-up actions (SRM 9)"), "operations:actions", _can_view)
    register_page("operations", _("CSIRT (SRM 9-3)"), "operations:csirt", _can_view)
    post_save.connect(_leader_changed, sender=RoleAssignment, dispatch_uid="bcp-leader-changed")
    register_demo_loader("operations-bcp", demo_bcp.load, order=552)
