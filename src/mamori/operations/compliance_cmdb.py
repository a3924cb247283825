"""Checks of configuration management (SRM 7-2, 12-2..6), measured over the configuration
register and its yearly review. Where the register holds no item there is nothing measured,
which is no pass."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from mamori.core.compliance import CheckResult, register_check
from mamori.operations.compliance_bcp import _not_measured, _result

__all__ = [
    "configuration_known",
    "flows_known",
    "outsourced_in_scope",
    "register",
    "review_signed",
]

MODULE = "mamori.operations"
CLOUD_AND_OUTSOURCED = ("cloud_account", "cloud_resource", "contract", "vendor")


def _no_items() -> CheckResult | None:
    from mamori.operations.models import ConfigurationItem

    if ConfigurationItem.objects.filter(gone_since__isnull=True).exists():
        return None
    return _not_measured("構成アイテムが登録されていない", "no configuration item recorded")


def configuration_known(min_owner_share: int = 90) -> CheckResult:
    """Pass when every live system has configuration items and the share of items with an
    owner department and a system manager is at least ``min_owner_share`` percent
    (SRM 12-2..4)."""
    from mamori.operations.models import ConfigurationItem, System
    from mamori.operations.services.cmdb_register import evaluate

    if (empty := _no_items()) is not None:
        return empty
    problems = []
    for system in System.objects.filter(lifecycle=System.Lifecycle.LIVE).exclude(
        pk__in=ConfigurationItem.objects.filter(gone_since__isnull=True).values("system")
    ):
        problems.append(
            (
                f"{system.code}: 構成アイテムがない",
                f"{system.code}: no configuration item",
            )
        )
    figures = evaluate()
    share = figures.owner_share or 0
    if share < min_owner_share:
        problems.append(
            (
                f"所管部署とシステム管理責任者のある構成アイテムが {share}%"
                f"（基準 {min_owner_share}%）",
                f"{share}% of items have an owner department and a system manager "
                f"(threshold {min_owner_share}%)",
            )
        )
    return _result(
        problems,
        f"稼働中の全システムに構成アイテムがあり、{share}% に所管部署と管理責任者がある",
        f"every live system has configuration items; {share}% have an owner and a manager",
    )


def outsourced_in_scope() -> CheckResult:
    """Pass when cloud and outsourced parts (cloud accounts and resources, contracts, vendors)
    are in the register, each with an owner department and a system manager (SRM 12-5)."""
    from mamori.operations.models import ConfigurationItem

    if (empty := _no_items()) is not None:
        return empty
    rows = ConfigurationItem.objects.filter(
        gone_since__isnull=True, kind__in=CLOUD_AND_OUTSOURCED
    ).order_by("name")
    if not rows.exists():
        return _result(
            [
                (
                    "クラウド・委託先の構成アイテムがない",
                    "no cloud or outsourced configuration item",
                )
            ],
            "",
            "",
        )
    problems = [
        (f"{i.name}: 所管部署またはシステム管理責任者がない", f"{i.name}: no owner or manager")
        for i in rows.filter(Q(department__isnull=True) | Q(system_manager__isnull=True))
    ]
    return _result(
        problems,
        f"クラウド・委託先の構成アイテム {rows.count()} 件すべてに所管と管理責任者がある",
        f"all {rows.count()} cloud and outsourced items have an owner and a manager",
    )


def review_signed(within_days: int = 365) -> CheckResult:
    """Pass when the system general manager signed a configuration-management review with its
    figures within ``within_days`` (SRM 12-6)."""
    from mamori.operations.models import CmdbReview

    if (empty := _no_items()) is not None:
        return empty
    since = timezone.now() - timedelta(days=within_days)
    review = (
        CmdbReview.objects.filter(signed_at__gte=since)
        .exclude(figures={})
        .select_related("signed_by")
        .order_by("-signed_at")
        .first()
    )
    if review is None:
        return _result(
            [
                (
                    f"{within_days} 日以内に署名された構成管理の評価がない",
                    f"no configuration-management review signed within {within_days} days",
                )
            ],
            "",
            "",
        )
    return _result(
        [],
        f"{review.year} 年の構成管理の評価を {review.signed_by} が "
        f"{timezone.localtime(review.signed_at):%Y-%m-%d} に署名",
        f"the {review.year} configuration-management review signed by {review.signed_by} "
        f"on {timezone.localtime(review.signed_at):%Y-%m-%d}",
    )


def flows_known() -> CheckResult:
    """Pass when every live system has a system manager, configuration items and at least one
    relation or information flow recorded for them (SRM 7-2)."""
    from mamori.operations.models import ConfigurationItem, Relation, System

    if (empty := _no_items()) is not None:
        return empty
    problems = []
    systems = System.objects.filter(lifecycle=System.Lifecycle.LIVE)
    for system in systems:
        items = ConfigurationItem.objects.filter(system=system, gone_since__isnull=True)
        if system.system_manager_id is None:
            problems.append(
                (f"{system.code}: システム管理責任者がいない", f"{system.code}: no system manager")
            )
        if not items.exists():
            problems.append(
                (f"{system.code}: 機器が把握されていない", f"{system.code}: no equipment recorded")
            )
            continue
        related = Relation.objects.filter(gone_since__isnull=True).filter(
            Q(source_item__in=items) | Q(target_item__in=items)
        )
        if not related.exists():
            problems.append(
                (
                    f"{system.code}: 接続・情報の流路が記録されていない",
                    f"{system.code}: no relation or information flow recorded",
                )
            )
    return _result(
        problems,
        f"稼働中のシステム {systems.count()} 件すべてに管理責任者・機器・情報の流路がある",
        f"all {systems.count()} live systems have a manager, equipment and flows recorded",
    )


def register() -> None:
    """Offer the checks to the control catalogue."""
    register_check("operations.cmdb_configuration_known", configuration_known, MODULE)
    register_check("operations.cmdb_outsourced_in_scope", outsourced_in_scope, MODULE)
    register_check("operations.cmdb_review_signed", review_signed, MODULE)
    register_check("operations.cmdb_flows_known", flows_known, MODULE)
