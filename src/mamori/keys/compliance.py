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


def backup_access_detected() -> CheckResult:
    """Pass when every backup has an event source (a site secret for the signed webhook, or
    events on NATS) and no unexpected access is left unacknowledged (ISM 28-3-5); not
    measured when no backup has an event source."""
    from mamori.keys.backup_access import backups_with_source, open_findings

    with_source, without = backups_with_source()
    if not with_source:
        return CheckResult(
            False,
            "未測定: アクセス事象の送信元が設定されたバックアップがない",
            "not measured: no backup has an access event source",
            {"measured": False},
        )
    found = list(open_findings())
    if found:
        listed = ", ".join(f"{a.backup.label} {a.event_id}" for a in found)
        return CheckResult(
            False,
            f"未確認の予定外アクセスがある: {listed}",
            f"unacknowledged unexpected access: {listed}",
            {"measured": True, "open": [a.pk for a in found]},
        )
    if without:
        listed = ", ".join(b.label for b in without)
        return CheckResult(
            False,
            f"アクセス検知が設定されていないバックアップがある: {listed}",
            f"backups without access detection: {listed}",
            {"measured": True, "without_source": [b.label for b in without]},
        )
    return CheckResult(
        True,
        f"すべてのバックアップ（{len(with_source)}件）でアクセス検知が設定され、未確認の予定外アクセスはない",
        f"all {len(with_source)} backups report their accesses and no unexpected access is open",
        {"measured": True, "open": [], "backups": len(with_source)},
    )


def register() -> None:
    """Offer the checks to the rulebook."""
    register_check("keys.spread", spread_rules_hold, "mamori.keys")
    register_check("keys.policy", policy_and_records_hold, "mamori.keys")
    register_check("keys.backup_access", backup_access_detected, "mamori.keys")
