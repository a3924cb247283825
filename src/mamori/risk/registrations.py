"""What risk management brings: pages, dashboard panel, scopes, the plan's approval action,
bus consumers, compliance checks and the demo step."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission
from mamori.core.dashboard import Widget, register_widget
from mamori.core.navigation import register_page
from mamori.core.scopes import register_scope


def _can_view(request: HttpRequest) -> bool:
    return has_permission(request.user, "risk.view")


def _can_own(request: HttpRequest) -> bool:
    return has_permission(request.user, "risk.own")


def _widget(request: HttpRequest) -> dict[str, Any] | None:
    """Scenarios above acceptance, flagged ones, the plan's state and missing sign-offs."""
    if not _can_view(request):
        return None
    from mamori.risk.models import Assessment
    from mamori.risk.services import plans, scenarios, summary

    latest = Assessment.newest()
    if latest is None:
        return {"assessment": None}
    ranked = scenarios.ranking(latest, "residual")
    plan = plans.current_plan(latest)
    live = plans.live_snapshot(latest) if plan else None
    return {
        "assessment": latest,
        "above": [s for s, r in ranked if not r.within_acceptance],
        "summary": summary.summary(latest),
        "flagged": [s for s, _ in ranked if s.needs_review],
        "plan": plan,
        "out_of_date": plans.out_of_date(plan, live) if plan else False,
        "unsigned": [s for s in plans.owner_states(plan, live) if s.state != "valid"]
        if plan
        else [],
    }


def _links() -> None:
    """Let audit entries about risks, assets and plans link to their pages."""
    from mamori.auditlog.links import register_link

    register_link("risk.riskscenario", "risk:scenario")
    register_link("risk.informationasset", "risk:asset")


def register() -> None:
    """Register everything risk management brings."""
    _links()
    from mamori.risk import search, tasks

    tasks.register()
    search.register()
    from mamori.accounts.services import approvals
    from mamori.core.demo import register_demo_loader
    from mamori.events.bus import subscribe
    from mamori.risk import compliance, demo
    from mamori.risk.services import monitoring, plans

    compliance.register()
    approvals.register_kind(plans.KIND, policy=plans.POLICY, apply=plans.apply_plan)
    approvals.on_closed(plans.on_closed)
    from mamori.risk import approval_display

    approval_display.register()
    subscribe("mamori.custody.halt_started", "risk-custody-halts", monitoring.on_custody_halt)
    subscribe(
        "mamori.reconciliation.run_finished", "risk-reconciliation", monitoring.on_reconciliation
    )
    register_page("risk", _("Risk register and heat maps"), "risk:register", _can_view)
    register_page("risk", _("Information-asset inventory"), "risk:assets", _can_view)
    register_page("risk", _("Risk criteria and catalogues"), "risk:criteria", _can_view)
    register_page("risk", _("Security plan"), "risk:plans", _can_view)
    register_page("risk", _("My residual risks (sign-off)"), "risk:signoff", _can_own)
    register_widget(
        Widget("risk", _("Information-security risks (ISM ch.4)"), "risk/widget.html", _widget, 20)
    )
    register_scope("risk:read", _("read the asset inventory and the risk register"), "risk.view")
    register_scope(
        "risk:write", _("change assets and risks, send monitoring signals"), "risk.manage"
    )
    register_demo_loader("risk", demo.load, order=400)
