"""Compliance checks the audit log offers (ISM 23-1-2 access records kept and verified)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mamori.auditlog.models import Checkpoint, Entry, VerificationRun
from mamori.core.compliance import CheckResult, register_check

__all__ = ["register"]

MODULE = "mamori.auditlog"


def verified(hours: int = 26) -> CheckResult:
    """Pass when the latest full verification succeeded within ``hours`` hours."""
    run = VerificationRun.objects.order_by("-started_at").first()
    if run is None:
        return CheckResult(False, "監査ログの検証が未実施", "the audit log was never verified")
    evidence = {
        "run": run.pk,
        "started_at": run.started_at.isoformat(),
        "entries": run.entries,
        "checkpoints": run.checkpoints,
        "ok": run.ok,
    }
    if not run.ok:
        return CheckResult(
            False,
            f"監査ログの検証に失敗: {run.problem}",
            f"audit log verification failed: {run.problem}",
            evidence,
        )
    if run.started_at < timezone.now() - timedelta(hours=hours):
        return CheckResult(
            False,
            f"最後の検証が {hours} 時間以上前（{run.started_at:%Y-%m-%d %H:%M}）",
            f"the last verification is older than {hours} hours ({run.started_at:%Y-%m-%d %H:%M})",
            evidence,
        )
    return CheckResult(
        True,
        f"{run.entries} 件と {run.checkpoints} 個のチェックポイントを検証済み",
        f"{run.entries} entries and {run.checkpoints} checkpoints verified",
        evidence,
    )


def checkpoint_fresh(minutes: int = 5) -> CheckResult:
    """Pass when every entry older than ``minutes`` minutes is under a signed checkpoint."""
    checkpoint = Checkpoint.objects.order_by("-size").first()
    covered = checkpoint.size if checkpoint else 0
    oldest = Entry.objects.filter(position__gte=covered).order_by("position").first()
    evidence = {"checkpoint_size": covered, "note": checkpoint.note if checkpoint else ""}
    if oldest is not None and oldest.at < timezone.now() - timedelta(minutes=minutes):
        return CheckResult(
            False,
            f"エントリ #{oldest.position} 以降が {minutes} 分以上チェックポイント未署名",
            f"entries from #{oldest.position} have waited over {minutes} minutes for a checkpoint",
            {**evidence, "first_uncovered": oldest.position},
        )
    return CheckResult(
        True,
        f"チェックポイントは {covered} 件までを署名済み",
        f"the latest checkpoint signs {covered} entries",
        evidence,
    )


def register() -> None:
    """Offer the checks to the control catalogue."""
    register_check("auditlog.verified", verified, MODULE)
    register_check("auditlog.checkpoint_fresh", checkpoint_fresh, MODULE)
