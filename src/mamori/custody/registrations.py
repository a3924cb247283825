"""What custody brings: pages, scopes, approval actions, checks and the demo step."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission
from mamori.core.navigation import register_page
from mamori.core.scopes import register_scope
from mamori.scheduler.jobs import Job, register_job


def _can_view(request: HttpRequest) -> bool:
    return has_permission(request.user, "custody.view")


def _cap_job() -> dict[str, object]:
    from mamori.custody.services import cap

    assessments = cap.assess_all()
    told = [a.asset.code for a in assessments if cap.alert(a)]
    return {"assessed": [a.asset.code for a in assessments], "alerted": told}


def _holds_job() -> dict[str, object]:
    from mamori.custody.services import checks

    return {"settled": checks.settle_holds()}


def _links() -> None:
    """Let audit entries about halts and allowed addresses link to their pages."""
    from mamori.auditlog.links import register_link

    register_link("custody.halt", "custody:halt")
    register_link("custody.allowedaddress", "custody:address")


def register() -> None:
    """Register everything custody brings."""
    _links()
    from mamori.custody import search, tasks

    tasks.register()
    search.register()
    from mamori.accounts.services import approvals
    from mamori.core.demo import register_demo_loader
    from mamori.custody import compliance, demo
    from mamori.custody.services import (
        alerts,
        allowlist,
        checks,
        halts,
        limits,
        monitor,
        setup,
        thresholds,
    )

    monitor.listen(alerts)  # the alerts module is the listener
    from mamori.core.server import register_companion
    from mamori.custody.fastpath.companion import DeciderProcess

    register_companion(DeciderProcess)  # the decider beside the workers of serve and demo
    compliance.register()
    from mamori.custody import consumers
    from mamori.events.bus import subscribe

    subscribe(consumers.SUBJECT, "custody-monitor", consumers.handle_inbound)
    approvals.register_kind(halts.KIND, policy=halts.POLICY, apply=halts.apply_lift)
    # approved: the held withdrawal is released; rejected or expired: it is refused
    approvals.register_kind(
        checks.RELEASE_KIND, policy=checks.RELEASE_POLICY, apply=checks.apply_release
    )
    approvals.on_closed(checks.on_release_closed)
    approvals.register_kind(allowlist.KIND, policy=allowlist.POLICY, apply=allowlist.apply_approval)
    approvals.register_kind(
        thresholds.KIND,
        policy=thresholds.POLICY,
        apply=thresholds.apply_change,
        validate=thresholds.validate,
    )
    for code, apply, schema in (
        (limits.CREATE_KIND, limits.apply_create, limits.ThresholdSnapshot),
        (limits.LIMIT_KIND, limits.apply_limit, limits.LimitSnapshot),
        (limits.CAP_KIND, limits.apply_cap, limits.CapSnapshot),
    ):
        approvals.register_kind(code, policy=limits.POLICY, apply=apply, schema=schema)
    approvals.register_kind(
        setup.WALLETS_KIND,
        policy=setup.WALLETS_POLICY,
        apply=setup.apply_wallets,
        schema=setup.WalletsSnapshot,
    )
    approvals.on_closed(allowlist.on_closed)
    from mamori.custody import approval_display

    approval_display.register()
    register_page("custody", _("Deposit and withdrawal monitoring"), "custody:overview", _can_view)
    register_scope("custody:check", _("check withdrawals before they are sent"), "custody.check")
    register_scope(
        "custody:report",
        _("report deposits, cancellations, sends, prices, balances"),
        "custody.report",
    )
    register_scope("custody:read", _("read active halts"), "custody.view")
    register_scope(
        "custody:admin", _("set up assets, wallets, thresholds and nodes"), "custody.manage"
    )
    register_job(
        Job(
            "custody.cap_check",
            _cap_job,
            _("check hot-wallet caps and spread"),
            every=timedelta(hours=1),
            window=timedelta(minutes=30),
            alert_roles=(("ciso",),),
        )
    )
    register_job(
        Job(
            "custody.hold_outcomes",
            _holds_job,
            _("release or refuse held withdrawals whose approval closed"),
            every=timedelta(minutes=10),
            window=timedelta(minutes=5),
            alert_roles=(("ciso",),),
        )
    )
    register_demo_loader("custody", demo.load, order=500)
