"""The scheduler's page and the platform's own periodic jobs."""

from __future__ import annotations

from datetime import time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission
from mamori.core.demo import DemoReport, register_demo_loader
from mamori.core.navigation import register_page
from mamori.scheduler.jobs import Job, register_job


def _deliver() -> dict[str, int]:
    from mamori.notifications import services

    return {"delivered": services.deliver_due()}


def _escalate() -> dict[str, int]:
    from mamori.notifications import services

    return {"escalated": services.escalate_due()}


def _expire_approvals() -> dict[str, int]:
    from mamori.accounts.services import approvals

    return {"expired": approvals.expire_due()}


def _access_review() -> dict[str, object]:
    from mamori.accounts.models import AccessReview
    from mamori.accounts.services import roles

    last = AccessReview.objects.first()
    if last and timezone.now() - last.opened_at < timedelta(days=90):
        return {"opened": False, "last": last.opened_at.isoformat()}
    review = roles.open_access_review()
    return {"opened": True, "review": review.pk, "items": review.items.count()}


def _may_export(request: object) -> bool:
    """Whether the person may ask for any export the worker builds."""
    from mamori.scheduler.exportjobs.kinds import kinds

    user = getattr(request, "user", None)
    return any(has_permission(user, kind.permission) for kind in kinds())


def _demo_first_tick(report: DemoReport) -> None:
    """Run the worker's first tick while the demo loads, before the rulebook's loader runs
    the controls: SCH-01 then finds the jobs run, not a worker that has not started yet
    (issue 25, point 6)."""
    from mamori.scheduler import services

    services.tick()


def register() -> None:
    """Register the page and the platform jobs."""
    from mamori.scheduler import compliance

    compliance.register()
    register_demo_loader("scheduler", _demo_first_tick, order=1050)  # before the rulebook's
    register_page(
        "audit",
        _("Scheduled jobs"),
        "scheduler:jobs",
        lambda request: has_permission(request.user, "scheduler.view"),
    )
    register_page("audit", _("My exports"), "exports:list", _may_export)
    register_job(
        Job(
            "notifications.deliver",
            _deliver,
            _("retry pending deliveries"),
            every=timedelta(seconds=15),
            window=timedelta(minutes=2),
        )
    )
    register_job(
        Job(
            "notifications.escalate",
            _escalate,
            _("escalate unacknowledged alerts"),
            every=timedelta(seconds=30),
            window=timedelta(minutes=2),
        )
    )
    register_job(
        Job(
            "approvals.expire",
            _expire_approvals,
            _("close expired approval requests"),
            every=timedelta(minutes=5),
            window=timedelta(minutes=10),
        )
    )
    register_job(
        Job(
            "accounts.access_review",
            _access_review,
            _("open a quarterly access review (ISM 23-1-1)"),
            daily_at=time(6, 0),
            window=timedelta(hours=6),
        )
    )
