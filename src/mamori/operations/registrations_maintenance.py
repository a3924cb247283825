"""What the maintenance calendar brings: pages, the link of a maintenance in the audit log,
the hook that records a notice's publication, the job raising findings, the compliance check
and the demo step (SRM 13)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models.signals import post_save
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission


def _can_view(request: HttpRequest) -> bool:
    return has_permission(request.user, "maintenance.view")


def _notice_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """A maintenance notice published (approved in the guard) announces its maintenance."""
    from mamori.operations.services import maintenance

    if kwargs.get("raw") or instance.kind != "maintenance":
        return
    maintenance.notice_published(instance)


def _update_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """An approved update of a maintenance notice moves the notice to the planned window."""
    from mamori.operations.services import maintenance

    if kwargs.get("raw") or instance.notice.kind != "maintenance":
        return
    maintenance.update_published(instance)


def _check_job() -> object:
    from mamori.operations.services import maintenance

    return maintenance.check_started()


def register_maintenance() -> None:
    """Register everything the maintenance calendar brings."""
    from mamori.accounts.services import approvals
    from mamori.auditlog.links import register_link
    from mamori.core.demo import register_demo_loader
    from mamori.core.navigation import register_page
    from mamori.core.scopes import register_scope
    from mamori.guard.models import Notice, NoticeUpdate
    from mamori.operations import compliance_maintenance, demo_maintenance
    from mamori.operations.services import maintenance_rules
    from mamori.scheduler.jobs import Job, register_job

    compliance_maintenance.register()
    approvals.register_kind(
        maintenance_rules.KIND,
        policy=maintenance_rules.POLICY,
        apply=maintenance_rules.apply_approval,
    )
    register_link("operations.maintenance", "operations:maintenance")
    register_page(
        "operations",
        _("Maintenance calendar (SRM 13)"),
        "operations:maintenance_calendar",
        _can_view,
    )
    register_scope("maintenance:read", _("read the maintenance calendar"), "maintenance.view")
    post_save.connect(_notice_saved, sender=Notice, dispatch_uid="maintenance-notice-published")
    post_save.connect(_update_saved, sender=NoticeUpdate, dispatch_uid="maintenance-notice-update")
    register_job(
        Job(
            "operations.maintenance_notices",
            _check_job,
            _("raise a finding for maintenance started without a timely notice"),
            every=timedelta(minutes=15),
            window=timedelta(minutes=10),
            alert_roles=(("dept_system_manager",), ("system_general_manager",)),
        )
    )
    register_demo_loader("operations-maintenance", demo_maintenance.load, order=740)
