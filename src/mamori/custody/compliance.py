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


def register() -> None:
    """Offer the check to the control catalogue."""
    register_check("custody.thresholds_cover", thresholds_cover_every_asset, "mamori.custody")
