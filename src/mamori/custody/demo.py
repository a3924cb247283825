"""Demo data of custody: assets, wallets, thresholds, and a day of traffic with a drain.

The day replays ordinary deposits and withdrawals and, at 14:00, a Coincheck-like drain:
many withdrawals from many accounts to one fresh address. The all-customers hourly limit
halts BTC withdrawals at the first breach; the rest of the drain is refused.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from mamori.accounts.models import User
from mamori.core.demo import DemoReport
from mamori.custody.models import Asset, CapPolicy, Halt, ThresholdRule, Wallet
from mamori.engines import threshold as engine

BTC, ETH = 10**8, 10**18
BTC_HOT, BTC_COLD = (
    "bc1qlakc8jv8ljcxj7yzgheg3l97crqnftrnlakc8j",
    "bc1qzj7v7j0uha62pdtukvtkd9tmtx4vnejtzj7v7j",
)
ETH_HOT, ETH_COLD = (
    "0xE525C64BBF07965CB68bFFA6454493123dCE358F",
    "0x189e6Aad7F6124595F31A239db9a3adebD88C93E",
)
HOUR, DAY = 3600, 86400


def _setup() -> None:
    responsible = User.objects.filter(username="watanabe").first()
    btc = Asset.objects.create(
        code="BTC", name="Bitcoin", chain="bitcoin", decimals=8, responsible=responsible
    )
    eth = Asset.objects.create(
        code="ETH", name="Ether", chain="ethereum", decimals=18, responsible=responsible
    )
    for asset, hot, cold in (
        (btc, BTC_HOT, BTC_COLD),
        (eth, ETH_HOT, ETH_COLD),
    ):
        Wallet.objects.create(
            name=f"{asset.code}-hot",
            kind="hot",
            asset=asset,
            address=hot,
            multisig_m=2,
            multisig_n=3,
            custodian="Sakura",
            location="Tokyo DC",
        )
        Wallet.objects.create(
            name=f"{asset.code}-cold",
            kind="cold",
            asset=asset,
            address=cold,
            multisig_m=3,
            multisig_n=5,
            custodian="Sakura",
            location="Osaka vault",
        )
    rules: list[tuple[str, str, str, str, Asset | None, int | None, Decimal | None, int | None]] = [
        ("btc-single-hold", "withdrawal", "single", "hold", btc, 5 * BTC, None, None),
        ("btc-customer-notify", "withdrawal", "customer", "notify", btc, 10 * BTC, None, DAY),
        ("btc-customer-hold", "withdrawal", "customer", "hold", btc, 20 * BTC, None, DAY),
        ("btc-all-halt", "withdrawal", "all", "halt", btc, 50 * BTC, None, HOUR),
        ("eth-single-hold", "withdrawal", "single", "hold", eth, 100 * ETH, None, None),
        ("eth-customer-hold", "withdrawal", "customer", "hold", eth, 300 * ETH, None, DAY),
        ("eth-all-halt", "withdrawal", "all", "halt", eth, 1500 * ETH, None, HOUR),
        ("jpy-all-halt", "withdrawal", "all", "halt", None, None, Decimal("800000000"), HOUR),
        ("btc-deposit-notify", "deposit", "single", "notify", btc, 10 * BTC, None, None),
    ]
    for code, direction, scope, level, rule_asset, units, jpy, window in rules:
        ThresholdRule.objects.create(
            code=code,
            direction=direction,
            scope=scope,
            level=level,
            asset=rule_asset,
            limit_units=units,
            limit_jpy=jpy,
            window_seconds=window,
        )


def _day(start: datetime) -> list[engine.Event]:
    rng = random.Random(2018)  # noqa: S311 - reproducible demo data
    events: list[engine.Event] = [
        engine.Price("price-btc", start, "BTC", Decimal("15000000")),
        engine.Price("price-eth", start, "ETH", Decimal("500000")),
    ]
    at = start
    for i in range(400):
        at += timedelta(seconds=rng.randrange(60, 200))
        asset, unit = ("BTC", BTC) if rng.random() < 0.6 else ("ETH", ETH)
        amount = rng.randrange(unit // 100, 3 * unit)
        customer = f"cust-{rng.randrange(80):03d}"
        if rng.random() < 0.5:
            events.append(engine.Deposit(f"demo-d{i}", at, customer, asset, amount))
        else:
            events.append(
                engine.WithdrawalRequest(
                    f"demo-w{i}", at, customer, asset, amount, f"addr-{customer}"
                )
            )
    drain = start.replace(hour=14, minute=0)
    for i in range(40):  # the drain: many accounts, one fresh address, minutes apart
        events.append(
            engine.WithdrawalRequest(
                f"demo-drain-{i}",
                drain + timedelta(seconds=20 * i),
                f"cust-{100 + i}",
                "BTC",
                4 * BTC - i,
                "bc1qfreshattacker",
            )
        )
    return sorted(events, key=lambda e: e.at)


def load(report: DemoReport) -> None:
    """Set up custody and replay the demo day (idempotent)."""
    from mamori.custody.services import monitor

    if Asset.objects.exists():
        return
    _setup()
    monitor.apply_thresholds()
    tokyo = ZoneInfo("Asia/Tokyo")
    day = (timezone.now().astimezone(tokyo) - timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    counts: dict[str, int] = {}
    for event in _day(day):
        decision = monitor.decide(event)
        counts[str(decision.action)] = counts.get(str(decision.action), 0) + 1
        if isinstance(event, engine.WithdrawalRequest) and decision.action == "allow":
            monitor.decide(  # broadcast a second later from the asset's hot wallet
                engine.WithdrawalSent(
                    f"{event.id}-sent",
                    event.at + timedelta(seconds=1),
                    event.id,
                    f"{event.asset}-hot",
                )
            )
    for asset in Asset.objects.all():
        CapPolicy.objects.create(asset=asset)
    end = day + timedelta(hours=15)
    for n, (wallet, code, amount) in enumerate(
        (
            ("BTC-hot", "BTC", 200 * BTC),
            ("BTC-cold", "BTC", 900 * BTC),
            ("ETH-hot", "ETH", 40 * ETH),
            ("ETH-cold", "ETH", 30 * ETH),
        )
    ):
        monitor.decide(engine.Balance(f"demo-balance-{n}", end, wallet, code, amount))
    halt = Halt.objects.filter(lifted_at__isnull=True).first()
    report.lines.append(
        "Custody: a day of traffic replayed — "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        + (
            f"; the drain was halted at its first breach ({halt.rule}, {halt.event_id})"
            if halt
            else ""
        )
        + " — see /custody/"
    )
