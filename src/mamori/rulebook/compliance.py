"""Compliance checks the rulebook offers: policies published, controls kept current."""

from __future__ import annotations

from mamori.core.compliance import CheckResult, register_check

__all__ = ["register"]


def policy_published(policy: str) -> CheckResult:
    """Pass when an approved version of the policy summary ``policy`` is public."""
    from mamori.rulebook.services.policies import published

    version = published(policy)
    if version is None:
        return CheckResult(
            False,
            f"方針の概要（{policy}）が公表されていない",
            f"the policy summary {policy!r} is not published",
            {"policy": policy},
        )
    return CheckResult(
        True,
        f"{version.document.title_ja} 第{version.number}版を公表中",
        f"{version.document.title_en} v{version.number} is public",
        {
            "policy": policy,
            "version": version.number,
            "approval": version.approval_id,
            "published_at": version.published_at.isoformat() if version.published_at else None,
            "url": f"/public/policies/{policy}/",
        },
    )


def controls_current() -> CheckResult:
    """Pass when no control has expired evidence, a late run or an overdue review."""
    from mamori.rulebook.services.controls import _WHAT, attention_list

    problems = [a for a in attention_list() if a.what != "evidence_expiring"]
    if problems:
        listed = ", ".join(f"{a.control.code} ({a.what})" for a in problems[:15])
        listed_ja = ", ".join(
            f"{a.control.code}（{_WHAT.get(a.what, (a.what,))[0]}）" for a in problems[:15]
        )
        return CheckResult(
            False,
            f"対応が必要な統制 {len(problems)} 件: {listed_ja}",
            f"{len(problems)} control(s) need attention: {listed}",
            {"problems": [{"control": a.control.code, "what": a.what} for a in problems]},
        )
    return CheckResult(True, "すべての統制が最新", "every control is current", {"problems": []})


def register() -> None:
    """Offer the checks to the control catalogue."""
    register_check("rulebook.policy_published", policy_published, "mamori.rulebook")
    register_check("rulebook.controls_current", controls_current, "mamori.rulebook")
