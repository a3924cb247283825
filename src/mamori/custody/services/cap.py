"""Hot-wallet cap and spread of every asset, from the balances the exchange reports
(ISM 27-1-1, 27-1-2); an alert says how much to sweep to cold or to refill."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.core.money import format_amount, format_jpy, jpy_value
from mamori.custody.models import Asset, CapPolicy, Wallet
from mamori.custody.services import monitor
from mamori.engines import threshold as engine
from mamori.notifications.services import Recipient, notified_within, notify

__all__ = ["Assessment", "alert", "assess", "assess_all"]


@dataclass(frozen=True)
class Assessment:
    """Where one asset stands: cap status, how expected was found, wallets over share."""

    asset: Asset
    status: engine.CapStatus
    expected_source: str
    heavy: list[tuple[str, Decimal]]
    balances: dict[str, int]
    price: Decimal | None = None  # JPY per whole coin, when the monitor was told one


def assess(asset: Asset) -> Assessment | None:
    """Assess ``asset`` (None without a cap policy or without any reported balance)."""
    policy = CapPolicy.objects.filter(asset=asset).first()
    if policy is None:
        return None
    state = monitor.current()
    wallets = {w.name: w for w in Wallet.objects.filter(asset=asset)}
    balances = {
        name: amount
        for (name, code), amount in state.balances.items()
        if code == asset.code and name in wallets
    }
    if not balances:
        return None
    hot = sum(v for k, v in balances.items() if wallets[k].kind == Wallet.Kind.HOT)
    if policy.expected_units is not None:
        expected, source = int(policy.expected_units), _("configured")
    else:
        learned = engine.learn_expected_outflow(
            state.outflows(asset.code), engine.micros(timezone.now()), policy.percentile
        )
        expected, source = learned.units, _explain(learned, asset)
    return Assessment(
        asset,
        engine.cap_status(hot, expected, policy.k),
        source,
        engine.over_share(balances, policy.max_share),
        balances,
        state.prices.get(asset.code),
    )


def _explain(learned: engine.Learned, asset: Asset) -> str:
    """Say how a learned expected outflow was computed, in the active language (the engine's
    ``explain`` stays English, for logs)."""
    return _(
        "p%(percentile)s (nearest rank) of %(samples)s rolling %(hours)s-hour outflows "
        "sampled hourly over %(days)s days = %(units)s"
    ) % {
        "percentile": learned.percentile,
        "samples": learned.samples,
        "hours": learned.window_hours,
        "days": learned.lookback_days,
        "units": format_amount(learned.units, asset.decimals, asset.code),
    }


def assess_all() -> list[Assessment]:
    """Assess every asset that has a cap policy and reported balances."""
    return [a for a in (assess(asset) for asset in Asset.objects.all()) if a is not None]


def _said(units: int, decimals: int, code: str, language: str, price: Decimal | None) -> str:
    """Return ``units`` in whole coins, with ``(≈ ¥…)`` after them when ``price`` is known."""
    shown = format_amount(units, decimals, code, language)
    if price is None:
        return shown
    return f"{shown} ({format_jpy(jpy_value(units, decimals, price), language)})"


def alert(assessment: Assessment) -> bool:
    """Tell the responsible people when over the cap, under need or too concentrated
    (at most once an hour per asset and kind); return whether a notice was sent. Amounts are
    in whole coins with the asset's decimals (``64.17139841 BTC``), never base units."""
    status, code = assessment.status, assessment.asset.code
    decimals = assessment.asset.decimals

    def ja(units: int, valued: bool = False) -> str:
        return _said(units, decimals, code, "ja", assessment.price if valued else None)

    def en(units: int, valued: bool = False) -> str:
        return _said(units, decimals, code, "en", assessment.price if valued else None)

    parts: list[tuple[str, str]] = []
    if status.state == "over":
        parts.append(
            (
                f"ホットウォレット残高 {ja(status.hot)} が上限 {ja(status.cap)} を超過: "
                f"{ja(status.sweep, True)} をコールドへ移動してください",
                f"hot balance {en(status.hot)} is over the cap {en(status.cap)}: "
                f"sweep {en(status.sweep, True)} to cold",
            )
        )
    elif status.state == "under":
        parts.append(
            (
                f"ホットウォレット残高 {ja(status.hot)} が想定出金 {ja(status.expected)} を"
                f"下回る: {ja(status.refill, True)} の補充が必要",
                f"hot balance {en(status.hot)} is below the expected outflow "
                f"{en(status.expected)}: refill {en(status.refill, True)}",
            )
        )
    for wallet, share in assessment.heavy:
        parts.append(
            (
                f"ウォレット {wallet} が {code} の {share:.1%} を保有（分散基準超過）",
                f"wallet {wallet} holds {share:.1%} of {code} (over the spread limit)",
            )
        )
    if not parts:
        return False
    topic = f"custody.cap.{code}.{status.state}"
    if notified_within(topic, timedelta(hours=1)):
        return False
    responsible = assessment.asset.responsible
    level0 = [Recipient(username=responsible.username)] if responsible else [Recipient("ciso")]
    notify(
        topic,
        "warning",
        (f"{code} の保管状況に対応が必要", f"{code} custody needs attention"),
        ("\n".join(p[0] for p in parts), "\n".join(p[1] for p in parts)),
        [level0, [Recipient("ciso")]],
        requires_ack=True,
        escalate_after=timedelta(hours=1),
        link="/custody/",
    )
    return True
