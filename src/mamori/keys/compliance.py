"""Compliance checks of the key inventory (ISM 28, 29-1-5, 29-1-6): measured over the
exchange's own inventory; with no inventory there is nothing measured, which is no pass."""

from __future__ import annotations

from mamori.core.compliance import CheckResult, register_check

__all__ = ["register"]


def _check(prefixes: tuple[str, ...], what_ja: str, what_en: str) -> CheckResult:
    from mamori.keys.models import Wallet
    from mamori.keys.services import findings

    if not Wallet.objects.exists():
        return CheckResult(
            False,
            "未測定: 鍵の台帳にウォレットが登録されていない",
            "not measured: no wallet is in the key inventory",
            {"measured": False},
        )
    checked = [c for c in findings() if c.code.startswith(prefixes)]
    bad = sorted({f"{c.wallet}: {c.code}" for c in checked if not c.holds})
    if bad:
        listed = ", ".join(bad)
        return CheckResult(
            False,
            f"{what_ja}に違反: {listed}",
            f"{what_en} violated: {listed}",
            {"measured": True, "violated": bad},
        )
    return CheckResult(
        True,
        f"すべてのウォレットで{what_ja}を満たす",
        f"every wallet meets the {what_en}",
        {"measured": True, "violated": [], "checked": len(checked)},
    )


def spread_rules_hold() -> CheckResult:
    """Pass when an inventory exists and every spread rule holds for every wallet (ISM
    28-2-3/6/7, 28-3-2, 29-1-5)."""
    return _check(("spread.",), "鍵の分散ルール", "key spread rules")


def policy_and_records_hold() -> CheckResult:
    """Pass when an inventory exists, every key meets the crypto policy (ISM 29-1-6) and every
    key and backup is fully recorded (ISM 28-1, 28-3)."""
    return _check(("policy.", "record."), "暗号方針と記録", "crypto policy and records")


def register() -> None:
    """Offer the checks to the rulebook."""
    register_check("keys.spread", spread_rules_hold, "mamori.keys")
    register_check("keys.policy", policy_and_records_hold, "mamori.keys")
