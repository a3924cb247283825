"""What the daily operating-status confirmation and mamori's own health bring: pages, the
``metrics:read`` scope, the job raising missed days, the compliance checks and the demo step
(SRM 12-1, 21-1, 21-2)."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _


def _missed_days() -> str:
    from mamori.operations.services import status

    return f"{status.check_missed()} missed day(s) raised"


def register_status() -> None:
    """Register everything the operating-status confirmation brings."""
    from mamori.core.demo import register_demo_loader
    from mamori.core.navigation import register_page
    from mamori.core.scopes import register_scope
    from mamori.operations import compliance_status, demo_status
    from mamori.operations.views_health import METRICS_PERMISSION, METRICS_SCOPE
    from mamori.scheduler.jobs import Job, register_job

    compliance_status.register()
    register_page(
        "operations",
        _("Daily operating-status confirmation (SRM 21-2)"),
        "operations:status_daily",
    )
    register_page(
        "operations",
        _("Operating-status confirmations of the month"),
        "operations:status_month",
    )
    register_scope(METRICS_SCOPE, _("read mamori's own health metrics"), METRICS_PERMISSION)
    register_job(
        Job(
            "operations.status_missed_days",
            _missed_days,
            _("raise a finding for every day whose operating status was not confirmed (SRM 21-2)"),
            every=timedelta(hours=1),
            window=timedelta(hours=2),
            alert_roles=(("system_general_manager",), ("dept_system_manager",)),
        )
    )
    register_demo_loader("operations-status", demo_status.load, order=760)
