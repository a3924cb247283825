"""Compliance checks the accounts module offers (SRM 5–8, ISM 7–9, 23-1, 29-1-1, 31)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mamori.accounts.models import (
    AccessReview,
    ApprovalPolicy,
    ApprovalRequest,
    Department,
    Role,
    RoleAssignment,
    User,
)
from mamori.core.compliance import CheckResult, register_check

__all__ = ["register"]

MODULE = "mamori.accounts"


def mfa_enrolled() -> CheckResult:
    """Pass when every active account has a confirmed TOTP device."""
    missing = sorted(
        User.objects.filter(is_active=True)
        .exclude(totp_device__confirmed_at__isnull=False)
        .values_list("username", flat=True)
    )
    total = User.objects.filter(is_active=True).count()
    if missing:
        return CheckResult(
            False,
            f"TOTP 未登録の有効なアカウント {len(missing)} 件: {', '.join(missing[:10])}",
            f"{len(missing)} active account(s) without TOTP: {', '.join(missing[:10])}",
            {"active": total, "without_totp": missing},
        )
    return CheckResult(
        True,
        f"有効なアカウント {total} 件すべてが TOTP 登録済み",
        f"all {total} active accounts have TOTP",
        {"active": total, "without_totp": []},
    )


def segregation_clean() -> CheckResult:
    """Pass when no current role assignment breaches a segregation rule; with fewer than two
    people holding roles nothing could conflict, and the control does not pass."""
    from mamori.accounts.services.roles import conflicts

    holders = (
        RoleAssignment.objects.filter(revoked_at__isnull=True, user__is_active=True)
        .values("user")
        .distinct()
        .count()
    )
    if holders < 2:
        return CheckResult(
            False,
            "役割を保有する者が2名未満（職務分離を確認できない）",
            "fewer than two people hold roles: segregation of duties cannot be shown yet",
            {"breaches": [], "holders": holders},
        )
    breaches = conflicts()
    found = [b.explain() for b in breaches]
    if found:
        return CheckResult(
            False,
            f"職務分離違反 {len(found)} 件",
            f"{len(found)} segregation-of-duties breach(es)",
            {"breaches": found},
        )
    return CheckResult(True, "職務分離違反なし", "no segregation breach", {"breaches": []})


def _holders(role: Role) -> list[RoleAssignment]:
    """Current holders who can act: active, and enrolled (they have signed in and confirmed an
    authenticator) — a person who never accepted their invitation holds a role on paper only."""
    return list(
        RoleAssignment.objects.filter(
            role=role,
            revoked_at__isnull=True,
            user__is_active=True,
            user__totp_device__confirmed_at__isnull=False,
        )
        .select_related("user", "department")
        .order_by("pk")
    )


def role_held(role: str) -> CheckResult:
    """Pass when someone active and enrolled currently holds ``role``."""
    row = Role.objects.get(code=role)
    holders = [a.user.username for a in _holders(row)]
    if not holders:
        return CheckResult(
            False,
            f"{row.name_ja}を保有し、サインインできる者がいない",
            f"nobody who can sign in holds the role {row.name_en}",
            {"role": role, "holders": []},
        )
    return CheckResult(
        True,
        f"{row.name_ja}: {', '.join(holders)}",
        f"{row.name_en}: {', '.join(holders)}",
        {"role": role, "holders": holders},
    )


def department_role_coverage(role: str) -> CheckResult:
    """Pass when every department has someone holding ``role`` for it."""
    row = Role.objects.get(code=role)
    covered = {a.department_id for a in _holders(row)}
    departments = list(Department.objects.order_by("code"))
    missing = [d.code for d in departments if d.pk not in covered]
    if not departments:
        return CheckResult(
            False, "部署が登録されていない", "no department is registered", {"role": role}
        )
    if missing:
        return CheckResult(
            False,
            f"{row.name_ja}がいない部署: {', '.join(missing)}",
            f"departments without a {row.name_en}: {', '.join(missing)}",
            {"role": role, "departments": len(departments), "missing": missing},
        )
    return CheckResult(
        True,
        f"{len(departments)} 部署すべてに{row.name_ja}がいる",
        f"all {len(departments)} departments have a {row.name_en}",
        {"role": role, "departments": len(departments), "missing": []},
    )


def sensitive_grants_approved(role: str) -> CheckResult:
    """Pass when every current holder of ``role`` got it through an approved request."""
    row = Role.objects.get(code=role)
    approved = {
        (r.snapshot.get("user"), r.snapshot.get("department"))
        for r in ApprovalRequest.objects.filter(
            kind="accounts.role_grant",
            status=ApprovalRequest.Status.APPROVED,
            snapshot__role=role,
        )
    }
    assignments = _holders(row)
    unapproved = [
        f"{a.user.username}@{a.department.code if a.department else '-'}"
        for a in assignments
        if (a.user.username, a.department.code if a.department else None) not in approved
    ]
    holders = len(assignments)
    if not holders:
        return CheckResult(
            False,
            f"{row.name_ja}を保有し、サインインできる者がいない",
            f"nobody who can sign in holds the role {row.name_en}",
            {"role": role, "holders": 0, "unapproved": []},
        )
    if unapproved:
        return CheckResult(
            False,
            f"承認を経ていない{row.name_ja}の付与 {len(unapproved)} 件: {', '.join(unapproved)}",
            f"{len(unapproved)} {row.name_en} grant(s) without approval: {', '.join(unapproved)}",
            {"role": role, "holders": holders, "unapproved": unapproved},
        )
    return CheckResult(
        True,
        f"{row.name_ja} {holders} 件すべて承認済み",
        f"all {holders} {row.name_en} grant(s) approved",
        {"role": role, "holders": holders, "unapproved": []},
    )


def access_review_recent(days: int) -> CheckResult:
    """Pass when an access review was closed within ``days`` days."""
    since = timezone.now() - timedelta(days=days)
    last = AccessReview.objects.filter(closed_at__isnull=False).order_by("-closed_at").first()
    if last is None or last.closed_at is None or last.closed_at < since:
        when = last.closed_at.date().isoformat() if last and last.closed_at else "—"
        return CheckResult(
            False,
            f"{days} 日以内に完了したアクセスレビューがない（最終: {when}）",
            f"no access review completed in the last {days} days (last: {when})",
            {"last_closed": when, "days": days},
        )
    return CheckResult(
        True,
        f"アクセスレビュー #{last.pk} を {last.closed_at.date().isoformat()} に完了",
        f"access review #{last.pk} completed on {last.closed_at.date().isoformat()}",
        {"review": last.pk, "closed": last.closed_at.isoformat()},
    )


def board_route() -> CheckResult:
    """Pass when an ordered approval policy ends with a board stage."""
    for policy in ApprovalPolicy.objects.order_by("code"):
        stages = policy.definition.get("stages", [])
        if (
            policy.definition.get("ordered")
            and len(stages) >= 2
            and "board_member" in stages[-1].get("roles", [])
        ):
            return CheckResult(
                True,
                f"承認ポリシー {policy.code}: 委員会の後に取締役会",
                f"approval policy {policy.code}: committee, then the board",
                {"policy": policy.code, "version": policy.version},
            )
    return CheckResult(
        False,
        "委員会の後に取締役会が承認する承認ポリシーがない",
        "no approval policy has the committee and then the board",
        {},
    )


def register() -> None:
    """Offer the checks to the control catalogue."""
    register_check("accounts.mfa_enrolled", mfa_enrolled, MODULE)
    register_check("accounts.segregation_clean", segregation_clean, MODULE)
    register_check("accounts.role_held", role_held, MODULE)
    register_check("accounts.department_role_coverage", department_role_coverage, MODULE)
    register_check("accounts.sensitive_grants_approved", sensitive_grants_approved, MODULE)
    register_check("accounts.access_review_recent", access_review_recent, MODULE)
    register_check("approvals.board_route", board_route, MODULE)
