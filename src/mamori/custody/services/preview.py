"""What a threshold would have done over the last 30 days, shown where it is set (ISM 27-2).

The monitor's journal holds every movement it counted. :func:`preview` feeds those of the
last :data:`DAYS` days, in the order they were decided, through a monitor that holds only
the threshold asked for, and counts the movements it applies to and how many would have
reached it (≥ the limit: ISM 27-3 「基準値に達した場合」). The threshold is evaluated at the
hold level so that one halt does not hide the movements after it: each is counted as it
would have been held or halted. Movements refused at the time (halted, rejected) were never
counted and are left out; cancelled and refused withdrawals leave the windows as they did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.services import approvals
from mamori.core.money import format_amount, format_yen
from mamori.custody.models import Asset, MonitorRecord
from mamori.custody.services import monitor
from mamori.custody.services.limits import ThresholdSpec
from mamori.engines import threshold as engine

__all__ = ["DAYS", "Preview", "limit_text", "preview"]

#: How far back the preview looks.
DAYS = 30
#: Journal rows a preview replays (type numbers, with or without a ``now``): deposits,
#: withdrawal requests, cancels, prices and refused holds.
_REPLAYED = {0, 1, 2, 4, 8}
_CODE = "preview"


@dataclass(frozen=True)
class Preview:
    """The last :data:`DAYS` days under one threshold: how many movements it applies to and
    how many would have reached it (held, halted or told, as its level says)."""

    since: datetime
    until: datetime
    level: str
    movements: int
    reached: int
    limit_ja: str
    limit_en: str


def limit_text(spec: ThresholdSpec, language: str) -> str:
    """Return the limit of ``spec`` in the asset's units (``5 BTC``) or in yen."""
    if spec.limit_jpy is not None:
        return format_yen(Decimal(spec.limit_jpy), language)
    asset = Asset.objects.filter(code=spec.asset).first()
    if asset is None or spec.limit_units is None:
        return str(spec.limit_units)
    return format_amount(int(spec.limit_units), asset.decimals, asset.code, language)


def _monitor(spec: ThresholdSpec) -> engine.Monitor:
    data: dict[str, Any] = {
        "assets": [[a.code, a.decimals] for a in Asset.objects.order_by("code")],
        "rules": [{**spec.model_dump(), "code": _CODE, "level": "hold", "halt_scope": None}],
    }
    data["rules"][0]["halt_expiry_minutes"] = None
    try:
        config = monitor.engine_config(data)
    except engine.ConfigError as exc:
        raise approvals.ApprovalRefused(
            "bad_thresholds", _("Thresholds refused, nothing changed: %(e)s") % {"e": exc}
        ) from None
    retention = config.retention
    # the journal's order is the order decided: nothing in it is late for the preview
    return engine.Monitor(
        engine.Config(config.assets, config.rules, retention, retention, retention, retention)
    )


def preview(spec: ThresholdSpec, now: datetime | None = None) -> Preview:
    """Return what ``spec`` would have done over the last :data:`DAYS` days."""
    until = now or timezone.now()
    since = until - timedelta(days=DAYS)
    replayed = _monitor(spec)
    direction = engine.Direction(spec.direction)
    movements = reached = 0
    records = MonitorRecord.objects.filter(
        kind=MonitorRecord.Kind.EVENT, recorded_at__gte=since, recorded_at__lte=until
    ).order_by("pk")
    for row, action in records.values_list("row", "action").iterator():
        if not isinstance(row, list) or not row or type(row[0]) is not int:
            continue
        if row[0] % 10 not in _REPLAYED or action in ("reject", "halt"):
            continue
        try:
            event = engine.unchecked_row(row)[0]
        except (ArithmeticError, IndexError, KeyError, TypeError, ValueError):
            continue  # a record the monitor sets aside too
        decision = replayed.process(event)
        if not isinstance(event, engine.Deposit | engine.WithdrawalRequest):
            continue
        moving = (
            engine.Direction.WITHDRAWAL
            if isinstance(event, engine.WithdrawalRequest)
            else engine.Direction.DEPOSIT
        )
        if moving is not direction or spec.asset not in (None, event.asset):
            continue
        movements += 1
        if any(r.rule == _CODE for r in decision.reasons):
            reached += 1
    return Preview(
        since,
        until,
        spec.level,
        movements,
        reached,
        limit_text(spec, "ja"),
        limit_text(spec, "en"),
    )
