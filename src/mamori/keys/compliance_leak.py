"""The leak-response check (ISM 30): measured over the exchange's own runbook, drills and
compensation policy; with none of them there is nothing measured, which is no pass."""

from __future__ import annotations

from mamori.core.compliance import CheckResult, register_check

__all__ = ["leak_response_ready", "register"]


def leak_response_ready() -> CheckResult:
    """Pass when an approved runbook exists that has not waited for revision longer than the
    grace period (ISM 30-1, 30-2), a drill with key holders was held within 12 months (ISM
    30-3) and an approved compensation policy exists (ISM 30-4); say each part that fails."""
    from mamori.keys import leak

    found = leak.state()
    if not found.measured:
        return CheckResult(
            False,
            "未測定: 漏えい時対応手順・訓練・損害賠償方針のいずれも登録されていない",
            "not measured: no runbook, drill or compensation policy is recorded",
            {"measured": False},
        )
    if found.problems:
        return CheckResult(
            False,
            "漏えい時対応の不備: " + " / ".join(p[1] for p in found.problems),
            "leak response falls short: " + " / ".join(p[2] for p in found.problems),
            {"measured": True, "failed": [p[0] for p in found.problems]},
        )
    runbook = leak.approved("runbook")
    last = leak.last_drill()
    return CheckResult(
        True,
        f"承認済み手順書 v{runbook.number if runbook else '?'}、"
        f"直近の訓練 {last.held_on if last else '?'}、承認済み損害賠償方針あり",
        f"approved runbook v{runbook.number if runbook else '?'}, last drill "
        f"{last.held_on if last else '?'}, approved compensation policy",
        {"measured": True, "failed": []},
    )


def register() -> None:
    """Offer the check to the rulebook."""
    register_check("keys.leak_response", leak_response_ready, "mamori.keys")
