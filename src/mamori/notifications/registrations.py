"""What notifications add: pages, a dashboard panel, an API scope, and approval notices."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission
from mamori.core.dashboard import Widget, register_widget
from mamori.core.navigation import register_page
from mamori.core.scopes import register_scope


def _alerts_context(request: HttpRequest) -> dict[str, Any] | None:
    from mamori.notifications.models import Notification

    open_alerts = Notification.objects.filter(
        requires_ack=True, acknowledged_at__isnull=True, deliveries__user_id=request.user.pk or 0
    ).distinct()[:10]
    return {"alerts": list(open_alerts)} if open_alerts else None


def _notify_approvers(request: Any) -> None:
    """Tell the people who can decide the open stage that a request waits for them."""
    from mamori.accounts import approval_display
    from mamori.accounts.services import approvals
    from mamori.notifications.services import Recipient, notify

    stage = approvals.outcome(request).open_stage
    if stage is None:
        return
    roles = request.policy_definition["stages"][stage]["roles"]
    title_ja, title_en = approval_display.titles(request)
    notify(
        "approvals.submitted",
        "info",
        (f"承認待ち: {title_ja}", f"Waiting for approval: {title_en}"),
        levels=[[Recipient(role) for role in roles]],
        link=f"/accounts/approvals/{request.pk}/",
    )


def _tell_requester(event: Any) -> None:
    """Tell the requester how their approval request ended (consumer of approval_closed)."""
    from mamori.notifications.services import Recipient, notify

    data = event.data
    if not data.get("requester"):
        return
    words = {
        "approved": ("承認されました", "approved"),
        "rejected": ("却下されました", "rejected"),
        "expired": ("期限切れになりました", "expired"),
        "withdrawn": ("取り下げられました", "withdrawn"),
    }
    ja, en = words.get(data["status"], (data["status"], data["status"]))
    notify(
        "approvals.closed",
        "info",
        (
            f"申請 #{data['id']} は{ja}: {data.get('title_ja') or data['title']}",
            f"Request #{data['id']} {en}: {data.get('title_en') or data['title']}",
        ),
        levels=[[Recipient(username=data["requester"])]],
        link=f"/accounts/approvals/{data['id']}/",
    )


def _remind_job() -> dict[str, Any]:
    from mamori.notifications.reminders import send_reminders

    return {"reminders": send_reminders()}


def register() -> None:
    """Register pages, widget, scope and the approval hook."""
    from mamori.notifications import compliance

    compliance.register()
    from mamori.notifications import tasks

    tasks.register()
    from mamori.accounts.services import approvals

    register_page("platform", _("Notifications"), "notifications:inbox")
    register_page(
        "platform",
        _("Webhooks"),
        "notifications:webhooks",
        lambda request: has_permission(request.user, "notifications.manage"),
    )
    register_widget(
        Widget(
            "alerts",
            _("Alerts to acknowledge"),
            "notifications/widget_alerts.html",
            _alerts_context,
            order=1,
        )
    )
    register_scope(
        "notifications:send", _("raise notifications to responsible people"), "notifications.send"
    )
    approvals.on_submitted(_notify_approvers)
    from datetime import time, timedelta

    from mamori.scheduler.jobs import Job, register_job

    register_job(
        Job(
            "notifications.remind_due",
            _remind_job,
            _("remind people of their tasks due within three days"),
            daily_at=time(8, 0),
            window=timedelta(hours=6),
            alert_roles=(("system_general_manager",),),
        )
    )
    from mamori.events.bus import subscribe

    subscribe("mamori.accounts.approval_closed", "notify-requester", _tell_requester)
