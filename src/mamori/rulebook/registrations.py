"""What the rulebook brings: checks, approval actions, pages, widget, jobs, demo, sync."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta
from typing import Any

from django.db.models.signals import post_migrate
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission
from mamori.core.dashboard import Widget, register_widget
from mamori.core.navigation import register_page
from mamori.core.scopes import register_scope
from mamori.scheduler.jobs import Job, register_job


def _can_view(request: HttpRequest) -> bool:
    return has_permission(request.user, "rulebook.view")


def _widget(request: HttpRequest) -> dict[str, Any] | None:
    if not _can_view(request):
        return None
    from mamori.rulebook.models import Framework
    from mamori.rulebook.services.controls import attention_list
    from mamori.rulebook.services.status import compute
    from mamori.rulebook.services.trend import trend

    compliance = compute()
    rules = []
    for framework in Framework.objects.order_by("-ref_id"):
        urns = list(
            framework.nodes.filter(is_requirement=True, removed_in__isnull=True).values_list(
                "urn", flat=True
            )
        )
        rules.append(
            {
                "framework": framework,
                "status": compliance.of(framework.urn).value,
                "counts": compliance.counts(urns),
                "known": compliance.how_known(urns),
                "total": len(urns),
            }
        )
    return {
        "rules": rules,
        "attention": len(attention_list()),
        "trend": trend(live=compliance),
    }


def _run_due_job() -> dict[str, Any]:
    from mamori.rulebook.services.controls import run_due

    runs = run_due()
    return {"runs": len(runs), "failed": [r.control.code for r in runs if r.outcome != "pass"]}


def _snapshot_job() -> dict[str, Any]:
    from mamori.rulebook.services.trend import record

    snapshot = record()
    return {"day": snapshot.day.isoformat(), "compliant": snapshot.compliant}


def _remind_job() -> dict[str, Any]:
    from mamori.rulebook.services.controls import remind_owners

    return {"roles_told": remind_owners()}


def _sync(sender: Any, **kwargs: Any) -> None:
    if getattr(sender, "label", "") != "rulebook":
        return
    from mamori.rulebook.services.library import sync_builtin
    from mamori.rulebook.services.policies import ensure_documents

    sync_builtin()
    ensure_documents()


def _by_code(model: Any, url_name: str) -> Callable[[str], str | None]:
    def link(object_id: str) -> str | None:
        code = model.objects.filter(pk=object_id).values_list("code", flat=True).first()
        return reverse(url_name, args=[code]) if code else None

    return link


def _links() -> None:
    """Let audit entries about controls and policies link to their pages."""
    from mamori.auditlog.links import register_link
    from mamori.rulebook.models import Control, PolicyDocument

    register_link("rulebook.control", _by_code(Control, "rulebook:control"))
    register_link("rulebook.policydocument", _by_code(PolicyDocument, "rulebook:policy_edit"))


def register() -> None:
    """Register everything the rulebook brings."""
    _links()
    from mamori.rulebook import search, tasks

    tasks.register()
    search.register()
    from mamori.accounts.services import approvals
    from mamori.core.demo import register_demo_loader
    from mamori.rulebook import compliance, demo
    from mamori.rulebook.services import decisions, policies

    compliance.register()
    approvals.register_kind(policies.KIND, policy=policies.POLICY, apply=policies.apply_publication)
    approvals.register_kind(decisions.KIND, policy=decisions.POLICY, apply=decisions.apply_decision)
    from mamori.rulebook import approval_display

    approval_display.register()
    from mamori.rulebook import export_kinds

    export_kinds.register()
    approvals.on_closed(policies.on_closed)
    post_migrate.connect(_sync, dispatch_uid="mamori.rulebook.sync")
    register_page("governance", _("Compliance"), "rulebook:dashboard", _can_view)
    register_page("governance", _("Controls"), "rulebook:controls", _can_view)
    register_page("governance", _("Policy summaries"), "rulebook:policies", _can_view)
    register_page("governance", _("Rule versions"), "rulebook:versions", _can_view)
    register_widget(
        Widget("compliance", _("Compliance with the rules"), "rulebook/widget.html", _widget, 15)
    )
    register_scope(
        "rulebook:read", _("read requirements, controls and compliance status"), "rulebook.view"
    )
    register_scope(
        "rulebook:export",
        _("ask for and download the Statement of Compliance and the evidence pack"),
        "rulebook.export",
    )
    register_scope(
        "rulebook:write", _("upload evidence, run controls and draft policies"), "rulebook.manage"
    )
    register_job(
        Job(
            "rulebook.run_controls",
            _run_due_job,
            _("run the automated and workflow controls that are due"),
            every=timedelta(hours=1),
            window=timedelta(minutes=30),
            alert_roles=(("ciso",), ("system_general_manager",)),
        )
    )
    register_job(
        Job(
            "rulebook.remind_owners",
            _remind_job,
            _("tell control owners what is overdue or expiring"),
            daily_at=time(9, 0),
            window=timedelta(hours=6),
            alert_roles=(("ciso",),),
        )
    )
    register_job(
        Job(
            "rulebook.snapshot_compliance",
            _snapshot_job,
            _("count the requirements per compliance status for the trend"),
            daily_at=time(23, 30),
            window=timedelta(minutes=29),  # within the day it counts
            alert_roles=(("ciso",),),
        )
    )
    register_demo_loader("rulebook", demo.load, order=1100)
