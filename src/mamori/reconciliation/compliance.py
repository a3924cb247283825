"""Compliance checks reconciliation offers the rulebook (ISM 34)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mamori.core.compliance import CheckResult, register_check

__all__ = ["register"]


def ran_every_day(days: int = 7) -> CheckResult:
    """Pass when each of the last ``days`` days has a completed run (34-1: at least daily)."""
    from mamori.reconciliation.services.history import days_missed_since_first_run

    missing = days_missed_since_first_run(days)
    if missing is None:
        return CheckResult(False, "照合が一度も実行されていない", "reconciliation never ran", {})
    if missing:
        listed = ", ".join(d.isoformat() for d in missing)
        return CheckResult(
            False,
            f"照合が完了していない日: {listed}",
            f"days without a completed reconciliation: {listed}",
            {"missing": [d.isoformat() for d in missing]},
        )
    return CheckResult(
        True,
        f"直近{days}日間、毎日照合が完了している",
        f"reconciliation completed on each of the last {days} days",
        {"days": days},
    )


def no_unexplained_difference() -> CheckResult:
    """Pass when every asset's latest run matched (34-1: confirm there is no difference) and
    the latest book imported was not refused (runs then compare nothing)."""
    from mamori.reconciliation.services.books import refusal_in_force
    from mamori.reconciliation.services.history import latest_per_asset

    refused = refusal_in_force()
    if refused is not None:
        name = refused.file_name or refused.source
        return CheckResult(
            False,
            f"帳簿 {refused.pk}（{name}）の取込が拒否され、照合できていない",
            f"book {refused.pk} ({name}) was refused: nothing is reconciled until a newer "
            "book is accepted",
            {"refused_book": refused.pk},
        )
    latest = latest_per_asset()
    if not latest:
        return CheckResult(False, "照合結果がない", "no reconciliation result yet", {})
    bad = [r for r in latest if r.status != "matched"]
    evidence = {r.asset: {"run": r.run_id, "status": r.status} for r in latest}
    if bad:
        said = {"difference": "差異", "failed": "失敗", "error": "エラー"}
        listed_ja = ", ".join(
            f"{r.asset} {said.get(r.status, r.status)}（照合 {r.run_id}）" for r in bad
        )
        listed = ", ".join(f"{r.asset} {r.status} (run {r.run_id})" for r in bad)
        return CheckResult(False, f"差異・失敗: {listed_ja}", f"not matched: {listed}", evidence)
    return CheckResult(True, "全資産が一致", "every asset matched in its latest run", evidence)


def cases_worked(days: int = 3) -> CheckResult:
    """Pass when no discrepancy case has stayed without a known cause for ``days`` (34-2:
    find the cause quickly); before any reconciliation ran there is nothing to work."""
    from mamori.reconciliation.models import Case, Run

    if not Run.objects.exists():
        return CheckResult(False, "照合が一度も実行されていない", "reconciliation never ran", {})
    late = Case.objects.filter(
        status=Case.Status.OPEN,
        cause=Case.Cause.UNKNOWN,
        opened_at__lt=timezone.now() - timedelta(days=days),
    )
    if late.exists():
        listed = ", ".join(f"#{c.pk} {c.asset}" for c in late[:20])
        return CheckResult(
            False,
            f"{days}日以上原因不明の差異案件: {listed}",
            f"cases without a cause for over {days} days: {listed}",
            {"cases": [c.pk for c in late[:100]]},
        )
    return CheckResult(
        True, "原因不明のまま放置された案件はない", "no case is left without a cause", {}
    )


def statement_issued(days: int = 366) -> CheckResult:
    """Pass when a signed statement for the third-party audit was issued within ``days``
    (34-3)."""
    from mamori.auditlog.models import Entry

    latest = (
        Entry.objects.filter(action="export", object_type="reconciliation.statement")
        .order_by("-position")
        .values_list("at", flat=True)
        .first()
    )
    if latest is None or latest < timezone.now() - timedelta(days=days):
        return CheckResult(
            False,
            f"{days}日以内に監査用の保有数量証明書が発行されていない",
            f"no signed holdings statement for the auditor in the last {days} days",
            {},
        )
    return CheckResult(
        True,
        f"保有数量証明書を発行済み（{latest:%Y-%m-%d}）",
        f"signed holdings statement issued on {latest:%Y-%m-%d}",
        {"issued": latest.isoformat()},
    )


def register() -> None:
    """Offer the checks to the control catalogue."""
    module = "mamori.reconciliation"
    register_check("reconciliation.daily", ran_every_day, module)
    register_check("reconciliation.matched", no_unexplained_difference, module)
    register_check("reconciliation.cases_worked", cases_worked, module)
    register_check("reconciliation.statement_issued", statement_issued, module)
