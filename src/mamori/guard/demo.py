"""The demo's customer-facing defence: the kill switch's functions, one blocked address, and
the notice of yesterday's BTC drain (INC-2026-001), published and resolved."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mamori.accounts.models import User
from mamori.core.demo import DemoReport
from mamori.guard.models import BlockedSource, Function, Notice, ServiceState
from mamori.guard.services import blocks, notices
from mamori.operations.models import Incident

__all__ = ["FUNCTIONS", "demo_notice", "load", "load_incident_story"]

#: The exchange's customer-facing functions the kill switch knows.
FUNCTIONS = [
    ("login", "ログイン", "Login"),
    ("trading", "取引", "Trading"),
    ("jpy-withdrawals", "日本円出金", "JPY withdrawals"),
    ("crypto-withdrawals", "暗号資産出金", "Crypto-asset withdrawals"),
    ("deposits", "入金", "Deposits"),
]

TITLE_JA = "BTC出金の一時停止"
TITLE_EN = "BTC withdrawals paused"


def _person(*usernames: str) -> User | None:
    for name in usernames:
        found = User.objects.filter(username=name, is_active=True).first()
        if found is not None:
            return found
    return None


def demo_notice(incident: Incident) -> Notice | None:
    """Publish the notice of ``incident`` (yesterday's BTC drain) with a resolving update, so
    the status page shows it resolved; idempotent. Written by the CSIRT member, approved by
    the communications owner (or the CISO)."""
    found = Notice.objects.filter(incident=incident, title_en=TITLE_EN).first()
    if found is not None:
        return found
    author = _person("ito", "takahashi")
    if author is None:
        return None
    crypto, _made = Function.objects.get_or_create(
        code="crypto-withdrawals",
        defaults={"name_ja": "暗号資産出金", "name_en": "Crypto-asset withdrawals"},
    )
    notice = notices.draft(
        kind=Notice.Kind.INCIDENT,
        title_ja=TITLE_JA,
        title_en=TITLE_EN,
        body_ja=(
            "BTC の出金で通常と異なる動きを検知したため、BTC の出金を一時停止しています。"
            "お客様の資産は保全されています。再開の際はこのページでお知らせします。"
        ),
        body_en=(
            "We detected unusual BTC withdrawals and have paused BTC withdrawals. Customers' "
            "assets are safe. We will announce the restart on this page."
        ),
        services=[(crypto, ServiceState.DEGRADED)],
        by=author,
        incident=incident,
        starts_at=incident.detected_at,
    )
    notices.submit(notice, author)
    approver = next(iter(notices.approvers(notice)), None)
    if approver is None:
        return notice
    notices.approve(notice, approver)
    update = notices.append_update(
        notice,
        "BTC の出金を再開しました。ご不便をおかけしました。",
        "BTC withdrawals have resumed. We apologise for the inconvenience.",
        author,
        resolves=True,
    )
    notices.approve(update, approver)
    return notice


def load(report: DemoReport) -> None:
    """Register the kill switch's functions and one blocked address (idempotent)."""
    if Function.objects.exists():
        return
    for code, ja, en in FUNCTIONS:
        Function.objects.create(code=code, name_ja=ja, name_en=en)
    by = _person("ito", "takahashi")
    if by is not None and not BlockedSource.objects.exists():
        blocks.block(
            [blocks.Row(1, "203.0.113.45")],
            "ログイン試行の集中（クレデンシャルスタッフィング） / credential stuffing",
            by,
            expires_at=timezone.now() + timedelta(days=30),
        )
    report.lines.append(
        "Guard: kill switch at /guard/ (5 functions), one blocked address at /guard/blocks/, "
        "public status page at /status/ (feed /status/feed.atom)"
    )


def load_incident_story(report: DemoReport) -> None:
    """Tell the story of INC-2026-001, yesterday's BTC drain (SRM 6-1-3, 7-3, 10-2): the system
    general manager records what was at risk (graded S2 by the rules), the first report to the
    authorities is sent and the final one stays due, the customer notice is published and
    resolved, and the incident is recovered (its review still to come). Idempotent."""
    from decimal import Decimal

    from mamori.operations.demo_obligations import demo_obligations
    from mamori.operations.services import incidents

    drain = (
        Incident.objects.filter(source=Incident.Source.CUSTODY, drill=False).order_by("pk").first()
    )
    manager = _person("takahashi")
    if drain is None or manager is None:
        return
    if drain.status == Incident.Status.REPORTED:
        incidents.update_facts(
            drain,
            {"assets_at_risk_jpy": Decimal(48_000_000), "outage_minutes": 0},
            manager,
        )
        drain = incidents.change_status(drain, Incident.Status.RESPONDING, manager)
    demo_obligations(drain)
    _internal_report_sent(drain)
    demo_notice(drain)
    if drain.status == Incident.Status.RESPONDING:
        drain = incidents.change_status(drain, Incident.Status.RECOVERED, manager)
    drain.refresh_from_db()
    report.lines.append(
        f"Incident {drain.reference} ({drain.severity}, {drain.status}): first report to the "
        "authorities sent, final report due; notice resolved on /status/"
    )


def _internal_report_sent(incident: Incident) -> None:
    """The CSIRT member on duty told the system general manager 15 minutes after detection."""
    from mamori.operations.models import Obligation
    from mamori.operations.services import obligations

    internal = Obligation.objects.filter(
        incident=incident, recipient="system_general_manager", status=Obligation.Status.DUE
    ).first()
    teller = _person("ito")
    if internal is None or teller is None:
        return
    obligations.mark_sent(
        internal,
        teller,
        incident.detected_at + timedelta(minutes=15),
        teller,
        channel="電話 / phone",
    )
