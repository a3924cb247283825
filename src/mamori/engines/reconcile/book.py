"""Reading the exchange's book: CSV, Parquet or rows from a database query, aggregated per
asset, wallet and category with Polars (ISM 34-1).

Columns: ``category`` (customer, own, withdrawal_pending, deposit_uncredited), ``asset``,
``amount`` (whole base units, ≥ 0) are required; ``wallet`` (a registered wallet of that
asset), ``account`` and ``reference`` (the transaction of an in-flight transfer, required for
those) are optional. The import is all or nothing: any bad row refuses the whole book with
every bad row and its reason (:class:`BookRejected`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from mamori.engines.reconcile.compare import CATEGORIES, IN_FLIGHT_CATEGORIES, BookTotals

__all__ = ["BookRejected", "RowError", "read_book", "read_rows", "totals_of"]

REQUIRED = ("category", "asset", "amount")
OPTIONAL = ("wallet", "account", "reference")
MAX_DIGITS = 38  # Polars Decimal(38, 0): 10^38 base units is 10^20 ETH


@dataclass(frozen=True)
class RowError:
    """One bad row: its ``line`` (CSV line, header is 1; Parquet and query rows count from 1)
    and why."""

    line: int
    reason: str


class BookRejected(ValueError):
    """A book refused as a whole; ``errors`` lists every bad row (or the file's problem)."""

    def __init__(self, errors: Sequence[RowError], rows: int = 0) -> None:
        self.errors = list(errors)
        self.rows = rows
        first = "; ".join(f"line {e.line}: {e.reason}" for e in self.errors[:3])
        more = f" and {len(self.errors) - 3} more" if len(self.errors) > 3 else ""
        super().__init__(f"book refused, {len(self.errors)} bad rows: {first}{more}")


def _problems(frame: pl.LazyFrame, wallets: Mapping[str, str], assets: Sequence[str]) -> pl.Expr:
    """Return an expression naming the first problem of each row, null when the row is good."""
    amount = pl.col("amount")
    amount_text = amount.cast(pl.Utf8)
    wallet = pl.col("wallet").fill_null("")
    wallet_asset = wallet.replace_strict(dict(wallets), default=None, return_dtype=pl.Utf8)
    category = pl.col("category")
    asset = pl.col("asset")
    return (
        pl.when(category.is_null() | ~category.is_in(list(CATEGORIES)))
        .then(
            pl.format(
                "unknown category '{}' (one of: {})",
                category.fill_null(""),
                pl.lit(", ".join(CATEGORIES)),
            )
        )
        .when(asset.is_null() | ~asset.is_in(list(assets)))
        .then(pl.format("unknown asset '{}'", asset.fill_null("")))
        .when(amount.is_null() | ~amount_text.str.contains(rf"^[0-9]{{1,{MAX_DIGITS}}}$"))
        .then(
            pl.format(
                "amount must be a whole number of base units, 0 or more, got '{}'",
                amount_text.fill_null(""),
            )
        )
        .when((wallet != "") & wallet_asset.is_null())
        .then(pl.format("wallet '{}' is not registered", wallet))
        .when((wallet != "") & (wallet_asset != asset))
        .then(pl.format("wallet '{}' holds {}, not {}", wallet, wallet_asset, asset))
        .when(
            category.is_in(list(IN_FLIGHT_CATEGORIES))
            & (pl.col("reference").fill_null("").str.strip_chars() == "")
        )
        .then(pl.lit("an in-flight transfer needs its transaction reference"))
        .otherwise(None)
    )


def totals_of(
    frame: pl.LazyFrame,
    wallets: Mapping[str, str],
    assets: Sequence[str],
    first_line: int,
) -> BookTotals:
    """Validate and aggregate ``frame`` (see the module docstring); ``wallets`` maps each
    registered wallet to its asset, ``first_line`` is the line number of the first row."""
    columns = frame.collect_schema().names()
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise BookRejected([RowError(1, f"missing column(s): {', '.join(missing)}")])
    for name in OPTIONAL:
        if name not in columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias(name))
    frame = frame.with_columns(
        pl.col("category").cast(pl.Utf8).str.strip_chars(),
        pl.col("asset").cast(pl.Utf8).str.strip_chars(),
        pl.col("wallet").cast(pl.Utf8).str.strip_chars(),
        pl.col("amount").cast(pl.Utf8).str.strip_chars(),
    ).with_row_index("line", offset=first_line)
    checked = frame.with_columns(_problems(frame, wallets, assets).alias("problem"))
    errors_query = (
        checked.filter(pl.col("problem").is_not_null()).select("line", "problem").sort("line")
    )
    totals_query = checked.group_by("asset", pl.col("wallet").fill_null(""), "category").agg(
        pl.col("amount").cast(pl.Decimal(MAX_DIGITS, 0), strict=False).sum(),
        pl.len().alias("rows"),
    )
    errors, totals = pl.collect_all([errors_query, totals_query])
    rows = int(totals["rows"].sum() or 0)
    if errors.height:
        raise BookRejected(
            [RowError(int(line), str(reason)) for line, reason in errors.iter_rows()], rows
        )
    return BookTotals(
        rows,
        {
            (str(asset), str(wallet), str(category)): int(amount)
            for asset, wallet, category, amount, _ in totals.iter_rows()
        },
    )


def read_book(path: Path, wallets: Mapping[str, str], assets: Sequence[str]) -> BookTotals:
    """Read a ``.csv`` or ``.parquet`` book (see the module docstring)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pl.scan_csv(path, infer_schema=False, encoding="utf8")
            return totals_of(frame, wallets, assets, first_line=2)
        if suffix in (".parquet", ".pq"):
            return totals_of(pl.scan_parquet(path), wallets, assets, first_line=1)
    except (pl.exceptions.ComputeError, pl.exceptions.SchemaError, OSError) as exc:
        raise BookRejected([RowError(1, f"cannot read {path.name}: {exc}")]) from None
    raise BookRejected([RowError(1, f"{path.name}: a book is a .csv or .parquet file")])


def read_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    wallets: Mapping[str, str],
    assets: Sequence[str],
) -> BookTotals:
    """Validate and aggregate rows fetched by a database query with ``columns``."""
    frame = pl.DataFrame(
        {
            name: [None if r[n] is None else str(r[n]) for r in rows]
            for n, name in enumerate(columns)
        },
        schema=dict.fromkeys(columns, pl.Utf8),
    )
    return totals_of(frame.lazy(), wallets, assets, first_line=1)
