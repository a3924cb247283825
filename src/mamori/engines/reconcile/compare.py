"""Book against chain, per asset and per wallet (ISM 34-1, 34-2).

The book holds what the exchange must have: customers' balances and its own holdings. At
the pinned block the chain should hold exactly that, plus the transfers the book lists as in
flight — withdrawals broadcast but not yet confirmed (the book has debited the customer, the
coins are still in the wallet) and deposits confirmed on chain but not yet credited under the
confirmation policy. Anything else is a difference: ``difference = chain − book − in flight``
(negative: coins missing; positive: coins the book does not account for).

Wallet-level figures are compared only when every book row of the asset names its wallet;
otherwise the asset's total decides alone and the wallet rows say "not allocated".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "BOOK_CATEGORIES",
    "CATEGORIES",
    "IN_FLIGHT_CATEGORIES",
    "AssetOutcome",
    "BookTotals",
    "ChainReading",
    "Status",
    "WalletOutcome",
    "compare",
]

BOOK_CATEGORIES = ("customer", "own")
IN_FLIGHT_CATEGORIES = ("withdrawal_pending", "deposit_uncredited")
CATEGORIES = BOOK_CATEGORIES + IN_FLIGHT_CATEGORIES


class Status(StrEnum):
    """The result of one asset or wallet."""

    MATCHED = "matched"
    DIFFERENCE = "difference"
    FAILED = "failed"


@dataclass(frozen=True)
class BookTotals:
    """The book aggregated: ``totals[(asset, wallet, category)]`` in base units, ``wallet``
    ``""`` for rows that name none; ``rows`` counts the rows read."""

    rows: int
    totals: Mapping[tuple[str, str, str], int]

    def assets(self) -> set[str]:
        """Return the assets the book mentions."""
        return {asset for asset, _, _ in self.totals}


@dataclass(frozen=True)
class ChainReading:
    """One wallet's balance read at the pinned block, or why it could not be read."""

    asset: str
    wallet: str
    amount: int | None
    error: str | None = None


@dataclass(frozen=True)
class WalletOutcome:
    """One wallet: ``book`` and ``in_flight`` are ``None`` when the book does not allocate
    the asset to wallets."""

    wallet: str
    book: int | None
    in_flight: int | None
    chain: int | None
    difference: int | None
    status: Status
    error: str | None = None


@dataclass(frozen=True)
class AssetOutcome:
    """One asset's result and its wallets."""

    asset: str
    book: int
    in_flight: int
    chain: int | None
    difference: int | None
    status: Status
    wallets: tuple[WalletOutcome, ...]
    errors: tuple[str, ...] = ()


def _sum(book: BookTotals, asset: str, categories: Sequence[str], wallet: str | None) -> int:
    return sum(
        amount
        for (a, w, c), amount in book.totals.items()
        if a == asset and c in categories and (wallet is None or w == wallet)
    )


def _wallet(book: BookTotals, reading: ChainReading, allocated: bool) -> WalletOutcome:
    if not allocated:
        status = Status.FAILED if reading.amount is None else Status.MATCHED
        return WalletOutcome(
            reading.wallet, None, None, reading.amount, None, status, reading.error
        )
    held = _sum(book, reading.asset, BOOK_CATEGORIES, reading.wallet)
    moving = _sum(book, reading.asset, IN_FLIGHT_CATEGORIES, reading.wallet)
    if reading.amount is None:
        return WalletOutcome(reading.wallet, held, moving, None, None, Status.FAILED, reading.error)
    difference = reading.amount - held - moving
    status = Status.MATCHED if difference == 0 else Status.DIFFERENCE
    return WalletOutcome(reading.wallet, held, moving, reading.amount, difference, status)


def compare(
    book: BookTotals, readings: Sequence[ChainReading], assets: Sequence[str]
) -> list[AssetOutcome]:
    """Return one outcome per asset of ``assets`` and of the book, sorted by asset."""
    by_asset: dict[str, list[ChainReading]] = {}
    for reading in readings:
        by_asset.setdefault(reading.asset, []).append(reading)
    outcomes = []
    for asset in sorted(set(assets) | book.assets()):
        asset_readings = sorted(by_asset.get(asset, []), key=lambda r: r.wallet)
        known = {r.wallet for r in asset_readings}
        allocated = all(w for (a, w, _), v in book.totals.items() if a == asset and v)
        held = _sum(book, asset, BOOK_CATEGORIES, None)
        moving = _sum(book, asset, IN_FLIGHT_CATEGORIES, None)
        wallets = tuple(_wallet(book, r, allocated) for r in asset_readings)
        errors = [f"{r.wallet}: {r.error}" for r in asset_readings if r.amount is None]
        stray = sorted({w for (a, w, _) in book.totals if a == asset and w and w not in known})
        errors += [f"the book names wallet {w}, which is not registered for {asset}" for w in stray]
        if not asset_readings:
            errors.append(f"no wallet of {asset} is registered: nothing to read on chain")
        if errors:
            outcomes.append(
                AssetOutcome(asset, held, moving, None, None, Status.FAILED, wallets, tuple(errors))
            )
            continue
        chain = sum(r.amount for r in asset_readings if r.amount is not None)
        difference = chain - held - moving
        differs = difference != 0 or any(w.status is Status.DIFFERENCE for w in wallets)
        status = Status.DIFFERENCE if differs else Status.MATCHED
        outcomes.append(AssetOutcome(asset, held, moving, chain, difference, status, wallets))
    return outcomes
