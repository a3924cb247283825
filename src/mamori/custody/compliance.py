"""Compliance checks custody offers (ISM 27-2: criteria set for every handled asset)."""

from __future__ import annotations

from mamori.core.compliance import CheckResult, register_check

__all__ = ["register"]


def thresholds_cover_every_asset() -> CheckResult:
    """Pass when every asset has active withdrawal thresholds of all three kinds (27-2)."""
    from mamori.custody.models import Asset, ThresholdRule

    missing = []
    for asset in Asset.objects.order_by("code"):
        scopes = set(
            ThresholdRule.objects.filter(active=True, direction="withdrawal")
            .filter(asset=asset)
            .values_list("scope", flat=True)
        ) | set(
            ThresholdRule.objects.filter(
                active=True, direction="withdrawal", asset__isnull=True
            ).values_list("scope", flat=True)
        )
        for scope in ("single", "customer", "all"):
            if scope not in scopes:
                missing.append(f"{asset.code}:{scope}")
    if not Asset.objects.exists():
        return CheckResult(False, "資産が登録されていない", "no asset is registered", {})
    if missing:
        return CheckResult(
            False,
            f"基準値のない資産・種類: {', '.join(missing)}",
            f"assets and kinds without a threshold: {', '.join(missing)}",
            {"missing": missing},
        )
    return CheckResult(
        True,
        "すべての資産に3種類の出金基準値がある",
        "every asset has the three kinds of withdrawal threshold",
        {"missing": []},
    )


def _unassessed() -> list[tuple[str, str]]:
    """Assets with a hot wallet that the cap cannot be checked for: no cap policy, or a hot
    wallet whose balance was never reported (ISM 27-1-1 asks it of every hot wallet)."""
    from mamori.custody.models import Asset, CapPolicy, Wallet
    from mamori.custody.services import monitor

    balances = monitor.current().balances
    with_policy = set(CapPolicy.objects.values_list("asset__code", flat=True))
    missing = []
    for asset in Asset.objects.order_by("code"):
        hot = list(
            Wallet.objects.filter(asset=asset, kind=Wallet.Kind.HOT).values_list("name", flat=True)
        )
        if not hot:
            continue
        if asset.code not in with_policy:
            missing.append((f"{asset.code}: 上限方針なし", f"{asset.code}: no cap policy"))
            continue
        silent = [name for name in hot if (name, asset.code) not in balances]
        if silent:
            names = ", ".join(silent)
            missing.append(
                (
                    f"{asset.code}: {names} の残高報告なし",
                    f"{asset.code}: no balance reported for {names}",
                )
            )
    return missing


def hot_wallets_within_cap() -> CheckResult:
    """Pass when every asset with a hot wallet has a cap policy, a reported balance for each
    hot wallet, and its hot balance within k × the expected outflow (ISM 27-1-1)."""
    from mamori.custody.services.cap import assess_all

    assessments = assess_all()
    unassessed = _unassessed()
    if unassessed or not assessments:
        listed_ja = (
            "; ".join(ja for ja, _ in unassessed)
            or "ホットウォレット・上限方針・残高がそろった資産がない"
        )
        listed_en = (
            "; ".join(en for _, en in unassessed)
            or "no asset has a hot wallet, a cap policy and balances"
        )
        return CheckResult(
            False,
            f"上限を確認できない資産がある: {listed_ja}",
            f"the cap cannot be checked: {listed_en}",
            {"unassessed": [en for _, en in unassessed]},
        )
    over = [a for a in assessments if a.status.state == "over"]
    evidence = {
        a.asset.code: {
            "hot": str(a.status.hot),
            "cap": str(a.status.cap),
            "expected": str(a.status.expected),
            "how": a.expected_source,
        }
        for a in assessments
    }
    if over:
        listed_ja = ", ".join(f"{a.asset.code}（{a.status.sweep} をコールドへ）" for a in over)
        listed_en = ", ".join(f"{a.asset.code} (sweep {a.status.sweep})" for a in over)
        return CheckResult(False, f"上限超過: {listed_ja}", f"over the cap: {listed_en}", evidence)
    return CheckResult(
        True, "すべてのホットウォレットが上限内", "every hot wallet is within its cap", evidence
    )


def spread_within_limit() -> CheckResult:
    """Pass when no wallet holds more than its asset's maximum share."""
    from mamori.custody.services.cap import assess_all

    assessments = assess_all()
    heavy = [(a.asset.code, w, s) for a in assessments for w, s in a.heavy]
    if not assessments:
        return CheckResult(False, "評価できる資産がない", "no asset can be assessed", {})
    if heavy:
        listed = ", ".join(f"{w} {s:.1%} of {code}" for code, w, s in heavy)
        return CheckResult(
            False,
            f"分散基準超過: {listed}",
            f"over the spread limit: {listed}",
            {"heavy": listed},
        )
    return CheckResult(True, "分散基準内", "every asset is spread within its limit", {})


def register() -> None:
    """Offer the checks to the control catalogue."""
    register_check("custody.thresholds_cover", thresholds_cover_every_asset, "mamori.custody")
    register_check("custody.hot_within_cap", hot_wallets_within_cap, "mamori.custody")
    register_check("custody.spread", spread_within_limit, "mamori.custody")
