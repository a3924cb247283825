"""What the systems register, the development plan and changes bring: the approval kinds,
the compliance checks, pages, scopes, links, the emergency-review job and the demo step
(SRM 4-6, 8-3, 11, 17, 20, 22)."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def _change_url(object_id: str) -> str | None:
    from mamori.operations.models import Change

    if not str(object_id).isdigit():
        return None
    reference = Change.objects.filter(pk=object_id).values_list("reference", flat=True).first()
    return reverse("operations:change", args=[reference]) if reference else None


def _system_url(object_id: str) -> str | None:
    from mamori.operations.models import System

    if not str(object_id).isdigit():
        return None
    code = System.objects.filter(pk=object_id).values_list("code", flat=True).first()
    return reverse("operations:system", args=[code]) if code else None


def _emergency_reviews() -> str:
    from mamori.operations.services import changes

    return f"{changes.check_emergency_reviews()} finding(s) raised"


def register_changes() -> None:
    """Register everything the systems register, the development plan and changes bring."""
    from mamori.accounts.services import approvals
    from mamori.auditlog.links import register_link
    from mamori.core.demo import register_demo_loader
    from mamori.core.navigation import register_page
    from mamori.core.scopes import register_scope
    from mamori.operations import compliance_changes, demo_changes
    from mamori.operations.services import (
        change_rules,
        changes,
        devplans,
        gate,
        operations_settings,
    )
    from mamori.scheduler.jobs import Job, register_job

    approvals.register_kind(devplans.KIND, policy=devplans.POLICY, apply=devplans.apply_approval)
    approvals.on_closed(devplans.on_closed)
    approvals.register_kind(
        changes.KIND,
        policy=changes.stage_policy,
        apply=changes.apply_stage_approval,
        subject=lambda snapshot: snapshot.get("responsible"),
    )
    approvals.on_closed(changes.on_closed)
    approvals.register_kind(
        change_rules.KIND,
        policy=change_rules.POLICY,
        apply=change_rules.apply_approval,
        validate=change_rules.validate,
    )
    approvals.register_kind(
        operations_settings.KIND,
        policy=operations_settings.POLICY,
        apply=operations_settings.apply_approval,
        validate=operations_settings.validate,
    )
    gate.register_check(changes.approval_blockers)
    compliance_changes.register()
    register_link("operations.change", _change_url)
    register_link("operations.system", _system_url)
    register_link("operations.developmentplan", _devplan_url)
    register_page("operations", _("Systems register (SRM 7-2, 12)"), "operations:systems")
    register_page("operations", _("Development plan (SRM 4-6, 11-2)"), "operations:devplans")
    register_page("operations", _("Changes (SRM 11, 17, 20, 22)"), "operations:changes")
    register_page("operations", _("Operations settings"), "operations:settings")
    register_scope("systems:read", _("read the systems register"), "changes.view")
    register_scope("systems:write", _("add and update systems in the register"), "systems.manage")
    register_job(
        Job(
            "operations.emergency_reviews",
            _emergency_reviews,
            _("find emergency changes not approved after the fact in time (SRM 17)"),
            every=timedelta(hours=1),
            window=timedelta(hours=2),
            alert_roles=(("system_general_manager",), ("dept_system_manager",)),
        )
    )
    register_demo_loader("operations-changes", demo_changes.load, order=556)


def _devplan_url(object_id: str) -> str | None:
    from mamori.operations.models import DevelopmentPlan

    if not str(object_id).isdigit():
        return None
    code = DevelopmentPlan.objects.filter(pk=object_id).values_list("code", flat=True).first()
    return reverse("operations:devplan", args=[code]) if code else None
