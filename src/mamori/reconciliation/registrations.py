"""What reconciliation brings: page, daily job, scopes, approval action, checks, demo step."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission
from mamori.core.dashboard import Widget, register_widget
from mamori.core.navigation import register_page
from mamori.core.scopes import register_scope
from mamori.scheduler.jobs import Job, register_job


def _can_view(request: HttpRequest) -> bool:
    return has_permission(request.user, "reconciliation.view")


def _widget(request: HttpRequest) -> dict[str, Any] | None:
    """Last result per asset, days of the last 30 without a completed run (red), open cases."""
    if not _can_view(request):
        return None
    from mamori.reconciliation.models import Case
    from mamori.reconciliation.services import history

    missing = history.days_missed_since_first_run(30)
    return {
        "never": missing is None,
        "missing": missing or [],
        "latest": history.latest_per_asset(),
        "open_cases": Case.objects.exclude(status=Case.Status.CLOSED).count(),
    }


def _daily() -> dict[str, object]:
    from mamori.reconciliation.services import runs

    run = runs.run("schedule")
    return {"run": run.pk, "status": run.status, "reason": run.reason[:300]}


def _links() -> None:
    """Let audit entries about runs, cases and book imports link to their pages."""
    from mamori.auditlog.links import register_link

    register_link("reconciliation.run", "reconciliation:run")
    register_link("reconciliation.case", "reconciliation:case")
    register_link("reconciliation.bookimport", "reconciliation:book")


def register() -> None:
    """Register everything reconciliation brings."""
    _links()
    from mamori.reconciliation import search, tasks

    tasks.register()
    search.register()
    from mamori.accounts.services import approvals
    from mamori.core.demo import register_demo_loader
    from mamori.reconciliation import compliance, demo, export_kinds
    from mamori.reconciliation.services import cases, nodes

    compliance.register()
    approvals.register_kind(cases.KIND, policy=cases.POLICY, apply=cases.apply_close)
    approvals.register_kind(
        nodes.KIND, policy=nodes.POLICY, apply=nodes.apply_change, schema=nodes.NodeChangeSnapshot
    )
    approvals.on_closed(cases.on_closed)
    from mamori.reconciliation import approval_display

    approval_display.register()
    register_page(
        "custody", _("Reconciliation (book against chain)"), "reconciliation:overview", _can_view
    )
    register_widget(
        Widget(
            "reconciliation",
            _("Reconciliation (ISM 34)"),
            "reconciliation/widget.html",
            _widget,
            30,
        )
    )
    register_scope(
        "reconciliation:read", _("read reconciliation runs and cases"), "reconciliation.view"
    )
    register_scope("reconciliation:run", _("start a reconciliation run"), "reconciliation.manage")
    register_scope("reconciliation:book", _("import the exchange's book"), "reconciliation.manage")
    export_kinds.register()
    hours, minutes = settings.CONFIG.reconcile_at.split(":")
    register_job(
        Job(
            "reconciliation.daily",
            _daily,
            _("reconcile the book against the blockchain (ISM 34-1)"),
            daily_at=time(int(hours), int(minutes)),
            window=timedelta(hours=2),
            alert_roles=(("ciso",), ("system_general_manager",)),
        )
    )
    register_demo_loader("reconciliation", demo.load, order=600)
