"""The containment check (SRM 10-2): measured over the incident register and the containment
actions; with no open severe cyber attack there is nothing measured, which is no pass."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from mamori.core.compliance import CheckResult, register_check

__all__ = ["WITHIN", "containment_recorded", "register"]

#: How soon after detection a severe cyber attack must have a containment action recorded.
WITHIN = timedelta(hours=4)


def containment_recorded(now: datetime | None = None, hours: int | None = None) -> CheckResult:
    """Pass when every open S1/S2 cyber-attack incident (drills aside) detected more than
    ``hours`` (4) ago had a containment action recorded within that time of its detection;
    name those that had none. Not measured while no such incident is open."""
    from mamori.guard.models import ContainmentAction
    from mamori.operations.models import Incident

    now = now or timezone.now()
    within = timedelta(hours=hours) if hours else WITHIN
    severe = Incident.objects.filter(
        kind=Incident.Kind.CYBER_ATTACK,
        severity__in=(Incident.Severity.S1, Incident.Severity.S2),
        drill=False,
    ).exclude(status=Incident.Status.CLOSED)
    if not severe.exists():
        return CheckResult(
            False,
            "未測定: 対応中の重大なサイバー攻撃（S1/S2）のインシデントがない",
            "not measured: no open S1/S2 cyber-attack incident",
            {"measured": False},
        )
    late: list[str] = []
    waiting: list[str] = []
    for incident in severe.order_by("detected_at"):
        due = incident.detected_at + within
        acted = ContainmentAction.objects.filter(incident=incident, at__lte=due).exists()
        if acted:
            continue
        if due > now:
            waiting.append(incident.reference)
        else:
            late.append(incident.reference)
    hours_shown = int(within.total_seconds() // 3600)
    if late:
        return CheckResult(
            False,
            f"検知から{hours_shown}時間以内に被害拡大防止措置の記録がない: {', '.join(late)}",
            f"no containment action recorded within {hours_shown} h of detection: "
            f"{', '.join(late)}",
            {"measured": True, "late": late, "waiting": waiting},
        )
    return CheckResult(
        True,
        f"対応中の重大なサイバー攻撃 {severe.count()} 件すべてに"
        f"{hours_shown}時間以内の措置の記録あり"
        + (f"（期限前: {', '.join(waiting)}）" if waiting else ""),
        f"all {severe.count()} open S1/S2 cyber-attack incident(s) had a containment action "
        f"within {hours_shown} h" + (f" (not yet due: {', '.join(waiting)})" if waiting else ""),
        {"measured": True, "late": [], "waiting": waiting},
    )


def register() -> None:
    """Offer the check to the rulebook."""
    register_check("guard.containment", containment_recorded, "mamori.guard")
