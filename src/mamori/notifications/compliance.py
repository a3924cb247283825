"""Compliance check the notifications offer (SRM 7-3, ISM 9-3, 27-3: told at once)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mamori.core.compliance import CheckResult, register_check
from mamori.notifications.models import Notification

__all__ = ["register"]


def acknowledged(hours: int = 24) -> CheckResult:
    """Pass when no critical alert needing acknowledgement waited more than ``hours`` hours."""
    late = list(
        Notification.objects.filter(
            severity=Notification.Severity.CRITICAL,
            requires_ack=True,
            acknowledged_at__isnull=True,
            created_at__lt=timezone.now() - timedelta(hours=hours),
        )
        .order_by("created_at")
        .values_list("pk", "topic")[:20]
    )
    if late:
        return CheckResult(
            False,
            f"{hours} 時間を超えて未確認の重大な通知 {len(late)} 件",
            f"{len(late)} critical alert(s) unacknowledged for over {hours} hours",
            {"unacknowledged": [{"id": pk, "topic": topic} for pk, topic in late]},
        )
    return CheckResult(
        True,
        f"{hours} 時間を超えて未確認の重大な通知なし",
        f"no critical alert unacknowledged for over {hours} hours",
        {"unacknowledged": []},
    )


def register() -> None:
    """Offer the check to the control catalogue."""
    register_check("notifications.acknowledged", acknowledged, "mamori.notifications")
