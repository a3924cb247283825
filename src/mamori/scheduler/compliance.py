"""Compliance check the scheduler offers (SRM 12-1, 21: operation monitored at all times)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mamori.core.compliance import CheckResult, register_check
from mamori.scheduler.models import JobRun

__all__ = ["register"]


def on_time(hours: int = 24) -> CheckResult:
    """Pass when jobs ran in the last ``hours`` hours and none was missed or failed."""
    since = timezone.now() - timedelta(hours=hours)
    runs = JobRun.objects.filter(slot__gte=since)
    bad = list(
        runs.filter(status__in=(JobRun.Status.MISSED, JobRun.Status.FAILED))
        .order_by("-slot")
        .values_list("job", "status", "slot")[:20]
    )
    done = runs.filter(status=JobRun.Status.SUCCEEDED).count()
    evidence = {
        "succeeded": done,
        "problems": [{"job": j, "status": s, "slot": t.isoformat()} for j, s, t in bad],
    }
    if bad:
        names = ", ".join(sorted({f"{j} ({s})" for j, s, _ in bad}))
        return CheckResult(
            False,
            f"直近 {hours} 時間に未実行・失敗のジョブ: {names}",
            f"jobs missed or failed in the last {hours} hours: {names}",
            evidence,
        )
    if done == 0:
        return CheckResult(
            False,
            f"直近 {hours} 時間にジョブが 1 件も実行されていない（ワーカー停止?）",
            f"no job ran in the last {hours} hours (is the worker stopped?)",
            evidence,
        )
    return CheckResult(
        True,
        f"直近 {hours} 時間に {done} 件実行、未実行・失敗なし",
        f"{done} runs in the last {hours} hours, none missed or failed",
        evidence,
    )


def register() -> None:
    """Offer the check to the control catalogue."""
    register_check("scheduler.on_time", on_time, "mamori.scheduler")
