"""What follows a decision at once: halt records, notices to the responsible people, bus
events (ISM 27-3: 即時に責任者に伝達され、売買停止その他必要な措置を速やかに実施)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import translation

from mamori.auditlog.services import record
from mamori.core.money import format_amount, format_yen
from mamori.custody.models import Asset, Halt, ThresholdRule, scope_text
from mamori.custody.services import monitor
from mamori.engines import threshold as engine
from mamori.events.bus import publish
from mamori.notifications.models import Notification
from mamori.notifications.services import Recipient, notified_within, notify

__all__ = [
    "ESCALATE_AFTER",
    "after_decision",
    "conflicting_resend",
    "journal_quarantined",
    "levels",
    "reached_text",
    "scope_words",
]

#: A notice not acknowledged within this time goes to the next level.
ESCALATE_AFTER = timedelta(minutes=10)
#: Ids resent with other content are told once per asset within this time (each is logged).
TAMPERING_TOLD_EVERY = timedelta(minutes=10)


def reached_text(
    rule_code: str | None, observed: object, limit: object, message: str
) -> tuple[str, str]:
    """Return a threshold reached in words, Japanese and English, its amounts in whole coins
    with the asset's decimals (``8 BTC``) or in yen (ISM 27-2, 27-3: the responsible person
    reads how far the limit was reached); ``message`` (the monitor's words) as both when the
    reason names no amount or no rule."""
    rule = ThresholdRule.objects.filter(code=rule_code).select_related("asset").first()
    if rule is None or observed is None or limit is None:
        return message, message
    try:
        if rule.limit_jpy is not None:
            shown = {
                lang: (
                    format_yen(Decimal(str(observed)), lang),
                    format_yen(Decimal(str(limit)), lang),
                )
                for lang in ("ja", "en")
            }
        elif rule.asset is not None:
            code, places = rule.asset.code, rule.asset.decimals
            shown = {
                lang: (
                    format_amount(int(str(observed)), places, code, lang),
                    format_amount(int(str(limit)), places, code, lang),
                )
                for lang in ("ja", "en")
            }
        else:
            return message, message
    except (ArithmeticError, ValueError):
        return message, message
    (ja_seen, ja_limit), (en_seen, en_limit) = shown["ja"], shown["en"]
    with translation.override("ja"):
        ja = (
            f"規則 {rule.code}（{rule.get_scope_display()}・{rule.get_direction_display()}）: "
            f"{ja_seen} が基準値 {ja_limit} に達しました（{rule.get_level_display()}）"
        )
    en = (
        f"rule {rule.code} ({rule.scope} {rule.direction}): {en_seen} reached the limit "
        f"{en_limit} ({rule.level})"
    )
    return ja, en


def levels(asset_code: str) -> list[list[Recipient]]:
    """Return who is told about ``asset_code``: its responsible person (else the CISO),
    then the system general manager and the CISO."""
    asset = Asset.objects.filter(code=asset_code).select_related("responsible").first()
    first = [Recipient(role="ciso")]
    if asset is not None and asset.responsible is not None:
        first = [Recipient(username=asset.responsible.username)]
    return [first, [Recipient(role="system_general_manager"), Recipient(role="ciso")]]


def scope_words(scope: str, key: str, asset: str = "") -> tuple[str, str]:
    """Return what a halt stops, in Japanese and in English."""
    shown = []
    for language in ("ja", "en"):
        with translation.override(language):
            shown.append(str(scope_text(scope, key, asset)))
    return shown[0], shown[1]


def _why(event: engine.Event, halt: engine.Halt) -> tuple[str, str]:
    ja_scope, en_scope = scope_words(str(halt.scope), halt.key, halt.asset)
    if halt.until is not None:
        until = halt.until.isoformat(timespec="seconds")
        ja_end = f"{until} に自動で解除されます（それ以前の解除には2名の承認が必要です）。"
        en_end = f"It ends by itself at {until}; lifting it earlier needs two approvals."
    else:
        ja_end, en_end = "解除には2名の承認が必要です。", "Lifting needs two approvals."
    if isinstance(event, engine.HaltOrder):
        return (
            f"{event.source} による停止（{ja_scope}）: {event.reason}。{ja_end}",
            f"Halt ordered by {event.source} ({en_scope}): {event.reason}. {en_end}",
        )
    return (
        f"規則 {halt.rule} の基準値に達したため {ja_scope} を停止しました"
        f"（イベント {halt.event}）。{ja_end}",
        f"Rule {halt.rule} was reached by event {halt.event}: halted {en_scope}. {en_end}",
    )


def after_decision(event: engine.Event, decision: engine.Decision) -> None:
    """Record halts, tell the responsible people, publish on the bus; on a reported
    balance, check the hot-wallet cap and spread."""
    asset = getattr(event, "asset", "")
    if isinstance(event, engine.HaltOrder) and event.scope is engine.HaltScope.ASSET:
        asset = event.key
    if isinstance(event, engine.Balance):
        from django.db import transaction

        from mamori.custody.services import cap

        def check_cap(code: str = asset) -> None:
            assessment = cap.assess(Asset.objects.get(code=code))
            if assessment is not None:
                cap.alert(assessment)

        transaction.on_commit(check_cap)  # after the monitor lock is released
    for halt in decision.halts:
        Halt.objects.create(
            halt_id=halt.id,
            scope=str(halt.scope),
            key=halt.key,
            rule=halt.rule,
            event_id=halt.event,
            asset=halt.asset,
            started_at=halt.at,
            expires_at=halt.until,
        )
        publish(
            "mamori.custody.halt_started",
            {
                "halt": halt.id,
                "scope": str(halt.scope),
                "key": halt.key,
                "rule": halt.rule,
                "event": halt.event,
                "at": halt.at.isoformat(),
                "asset": halt.asset,
                "until": halt.until.isoformat() if halt.until else None,
            },
            event_id=f"halt-started-{halt.id}",
        )
        ja_scope, en_scope = scope_words(str(halt.scope), halt.key, halt.asset)
        notify(
            "custody.halt",
            "critical",
            (f"停止: {ja_scope}", f"Halted: {en_scope}"),
            _why(event, halt),
            levels(asset),
            requires_ack=True,
            escalate_after=ESCALATE_AFTER,
            link="/custody/",
        )
    for reason in decision.reasons:
        if not reason.code.startswith("threshold.") or reason.code == "threshold.halt":
            continue
        topic = f"custody.threshold.{reason.rule}"
        told = monitor.told_in_batch()  # looked up once per batch of checks
        if reason.code == "threshold.notify":
            if told is not None and topic in told:
                continue
            if notified_within(topic, timedelta(hours=1)):
                if told is not None:
                    told.add(topic)
                continue  # a reached notify level is told once an hour, not per event
            if told is not None:
                told.add(topic)
        notify(
            topic,
            "warning",
            (
                f"基準値到達: {reason.rule}（{decision.action}）",
                f"Threshold reached: {reason.rule} ({decision.action})",
            ),
            reached_text(reason.rule, reason.observed, reason.limit, reason.message),
            levels(asset),
            requires_ack=True,
            escalate_after=ESCALATE_AFTER,
            link="/custody/",
        )


def conflicting_resend(event: engine.Event, decision: engine.Decision) -> None:
    """An id seen before came again with other content: refused by the monitor, changing
    nothing. Log it, and tell the asset's responsible people (possible tampering with a
    request in flight — the DMM Bitcoin and Bybit losses began with an altered transfer)."""
    asset = str(getattr(event, "asset", "") or "")
    message = decision.reasons[0].message if decision.reasons else ""
    record(
        "custody.duplicate_conflict",
        "custody.event",
        event.id,
        details={"type": type(event).__name__, "asset": asset, "reason": message},
    )
    topic = f"custody.tampering.{asset or 'any'}"[:100]
    shown = event.id if len(event.id) <= 120 else f"{event.id[:119]}…"  # titles hold 300
    if notified_within(topic, TAMPERING_TOLD_EVERY):
        return
    notify(
        topic,
        "critical",
        (
            f"改ざんの疑い: ID {shown} が異なる内容で再送されました",
            f"Possible tampering: id {shown} was sent again with other content",
        ),
        (
            f"最初の判定が有効で、再送は拒否されました。送信元を確認してください。{message}",
            f"The first decision stands and the resend was refused. Check the sender. {message}",
        ),
        levels(asset),
        requires_ack=True,
        escalate_after=ESCALATE_AFTER,
        link="/custody/",
    )


def journal_quarantined(record_pk: int, what: str, asset: str) -> None:
    """A journal record cannot be loaded: the monitor set it aside and refuses the withdrawals
    of ``asset`` (``*``: of every asset). Log it, and tell the asset's responsible people at
    once, once per record (every process that loads the journal finds it again)."""
    topic = f"custody.quarantine.{record_pk}"
    if Notification.objects.filter(topic=topic).exists():
        return
    record(
        "custody.journal_quarantined",
        "custody.monitorrecord",
        str(record_pk),
        details={"record": what, "asset": asset},
    )
    every = asset == "*"
    notify(
        topic,
        "critical",
        (
            f"監視の記録 #{record_pk} を読めません: "
            f"{'全資産' if every else asset} の出金を拒否しています",
            f"Monitor journal record #{record_pk} cannot be loaded: "
            f"{'every asset' if every else asset} withdrawals are refused",
        ),
        (
            f"記録 #{record_pk}（{what}）は読み込めないため隔離されました。"
            "修復して監視を再読み込みするまで、理由 journal_quarantined で出金を拒否します。"
            "他の資産の判定は続いています。",
            f"Record #{record_pk} ({what}) cannot be loaded and was set aside. Withdrawals are "
            "refused with the reason journal_quarantined until it is repaired and the journal "
            "reloaded; other assets are decided as before.",
        ),
        levels("" if every else asset),
        requires_ack=True,
        escalate_after=ESCALATE_AFTER,
        link="/custody/",
    )
